package org.hast.daemon.hooks;

import java.util.Optional;
import java.util.OptionalInt;

/**
 * The events a hook is run for (spec §9.1): the name is the hook's first argument, the code
 * is what a worker sends its parent ({@code {event: uint8}}). {@code role} is emitted by the
 * main process itself and has no code. The names are the reference's, quirks included:
 * {@code syncintr} (not the manual's {@code syncdisconnect}) and no {@code reload}.
 */
public enum HookEvent {
    ROLE("role", 0),
    CONNECT("connect", 1),
    DISCONNECT("disconnect", 2),
    SYNCSTART("syncstart", 3),
    SYNCDONE("syncdone", 4),
    SYNCINTR("syncintr", 5),
    SPLIT_BRAIN("split-brain", 6);

    /** 0 is never sent by a worker: it marks the event without a code. */
    private static final int NO_CODE = 0;

    private final String hookName;
    private final int code;

    HookEvent(String hookName, int code) {
        this.hookName = hookName;
        this.code = code;
    }

    /** The hook's first argument, e.g. {@code split-brain}. */
    public String hookName() {
        return hookName;
    }

    /** The worker→parent event code; empty for {@link #ROLE}. */
    public OptionalInt code() {
        return code == NO_CODE ? OptionalInt.empty() : OptionalInt.of(code);
    }

    /**
     * The event a worker's code stands for; empty for 0 and every unknown code, which the
     * parent logs and answers with an error (spec Appendix A #30).
     */
    public static Optional<HookEvent> fromCode(int code) {
        if (code == NO_CODE) {
            return Optional.empty();
        }
        for (HookEvent event : values()) {
            if (event.code == code) {
                return Optional.of(event);
            }
        }
        return Optional.empty();
    }

    @Override
    public String toString() {
        return hookName;
    }
}
