package org.hast.proto;

/**
 * A resource's role (spec §3.4, Appendix B). The numeric codes travel as uint8 in control
 * requests; the names appear in replies, metadata ({@code prevrole}) and process titles.
 */
public enum Role {
    UNDEF(0, "unknown"),
    INIT(1, "init"),
    PRIMARY(2, "primary"),
    SECONDARY(3, "secondary");

    private final int code;
    private final String displayName;

    Role(int code, String displayName) {
        this.code = code;
        this.displayName = displayName;
    }

    public int code() {
        return code;
    }

    /** The lower-case name the reference prints ({@code unknown} for an undefined role). */
    public String displayName() {
        return displayName;
    }

    /** The role with this wire code, or {@link #UNDEF} for anything else. */
    public static Role fromCode(int code) {
        for (Role role : values()) {
            if (role.code == code) {
                return role;
            }
        }
        return UNDEF;
    }

    /** The role named exactly {@code init}, {@code primary} or {@code secondary}; else null. */
    public static Role fromName(String name) {
        for (Role role : values()) {
            if (role != UNDEF && role.displayName.equals(name)) {
                return role;
            }
        }
        return null;
    }

    @Override
    public String toString() {
        return displayName;
    }
}
