package dev.writ.core.action;

import java.util.Locale;

/** Data classification levels, totally ordered: {@code public < internal < confidential < restricted}. */
public enum Classification {
    PUBLIC,
    INTERNAL,
    CONFIDENTIAL,
    RESTRICTED;

    /** The wire name: lower case, as written in scopes, policies and envelopes. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses a wire name.
     *
     * @throws IllegalArgumentException for anything but the four lower-case names
     */
    public static Classification fromWire(String name) {
        if (name != null) {
            for (Classification c : values()) {
                if (c.wireName().equals(name)) {
                    return c;
                }
            }
        }
        throw new IllegalArgumentException(
                "unknown classification (expected public, internal, confidential or restricted)");
    }

    /** The lower of two levels. */
    public static Classification min(Classification a, Classification b) {
        return a.compareTo(b) <= 0 ? a : b;
    }
}
