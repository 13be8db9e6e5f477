package org.hast.conf;

/** The four places a statement can stand (depth 0, 1, 1 and 2 in the reference). */
enum Section {
    GLOBAL("the global section"),
    NODE("an 'on' section"),
    RESOURCE("a resource section"),
    RESOURCE_NODE("a resource 'on' section");

    private final String description;

    Section(String description) {
        this.description = description;
    }

    /** How syntax errors name the section. */
    String description() {
        return description;
    }
}
