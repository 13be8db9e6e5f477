package org.hast;

import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;

import org.junit.jupiter.api.Test;

/**
 * The packages of hastd and common depend on each other in one direction only: a cycle means
 * two packages are really one concept, or a class sits in the wrong one (docs/packages.md).
 */
class PackageGraphTest {
    @Test
    void noPackageDependsOnItselfThroughOthers() {
        JavaClasses classes = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_JARS)
                .importPackages("org.hast");
        slices().matching("org.hast.(**)").should().beFreeOfCycles().check(classes);
    }
}
