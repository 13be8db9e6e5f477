package org.hast.conf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.hast.testing.Requirements;
import org.junit.jupiter.api.Test;

/**
 * hast.conf(5) cannot drift from the parser: every keyword the lexer knows, every extension
 * word the parser accepts ({@code isWord("...")} in this package's sources) and every
 * {@code device} value must be documented in docs/man/hast.conf.5.
 */
class ManualPageKeywordsTest {
    private static final Pattern EXTENSION_WORD = Pattern.compile("isWord\\(\"([a-z0-9-]+)\"\\)");

    private static String page() throws IOException {
        return Files.readString(Requirements.projectRoot().resolve("docs/man/hast.conf.5"));
    }

    /** True when some macro line shows {@code word} as a keyword (Ic) or a literal value (Cm). */
    private static boolean documented(String page, String word) {
        Pattern use = Pattern.compile("(?m)^\\..*\\b(Ic|Cm)\\s(.*\\s)?" + Pattern.quote(word) + "(\\s|$)");
        return use.matcher(page).find();
    }

    /** True when {@code word} has its own entry in a tag list ({@code .It Ic word}). */
    private static boolean hasEntry(String page, String word) {
        return Pattern.compile("(?m)^\\.It Ic " + Pattern.quote(word) + "(\\s|$)").matcher(page).find();
    }

    @Test
    void everyLexerKeywordIsDocumented() throws IOException {
        String page = page();
        List<String> missing = new ArrayList<>();
        for (Token.Kind kind : Token.Kind.values()) {
            if (!kind.isKeyword()) {
                continue;
            }
            String word = kind.name().toLowerCase(java.util.Locale.ROOT);
            assertEquals(kind, Token.Kind.keyword(word), "spelling of " + kind);
            if (!documented(page, word)) {
                missing.add(word);
            }
        }
        assertEquals(List.of(), missing, "keywords missing from docs/man/hast.conf.5");
    }

    @Test
    void everyExtensionKeywordHasAnEntry() throws IOException {
        Set<String> words = new TreeSet<>();
        Path sources = Requirements.projectRoot().resolve("common/src/main/java/org/hast/conf");
        try (Stream<Path> files = Files.list(sources)) {
            for (Path file : (Iterable<Path>) files.filter(f -> f.toString().endsWith(".java"))::iterator) {
                Matcher m = EXTENSION_WORD.matcher(Files.readString(file));
                while (m.find()) {
                    words.add(m.group(1));
                }
            }
        }
        assertTrue(words.contains("device"), "the scan found the extension keywords: " + words);
        String page = page();
        List<String> missing = words.stream().filter(w -> !hasEntry(page, w)).toList();
        assertEquals(List.of(), missing, "extension keywords missing from docs/man/hast.conf.5");
    }

    @Test
    void everyDeviceModeIsDocumented() throws IOException {
        String page = page();
        List<String> missing = Stream.of(DeviceMode.values()).map(DeviceMode::word)
                .filter(w -> !documented(page, w)).toList();
        assertEquals(List.of(), missing, "device values missing from docs/man/hast.conf.5");
    }
}
