package dev.writ.core.scope;

import java.time.ZoneId;
import java.util.Set;

/** IANA time zone ids as known to this JVM's tz database. */
final class Zones {
    private static final Set<String> IANA = Set.copyOf(ZoneId.getAvailableZoneIds());

    private Zones() {}

    /** True for a region id of the tz database; false for offsets ({@code +01:00}, {@code UTC+1}) and unknown ids. */
    static boolean isIana(String id) {
        return id != null && IANA.contains(id);
    }
}
