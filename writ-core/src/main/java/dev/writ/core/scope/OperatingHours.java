package dev.writ.core.scope;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The operating-hours dimension of a {@link Scope}: when an agent may act.
 *
 * <p>One of three forms: {@link #ANY} (every instant), {@link #NEVER} (no instant), or a non-empty conjunction of
 * {@link Window}s, at most one per time zone, <em>all</em> of which must hold. A conjunction is what makes the
 * dimension closed under intersection without approximation: two windows in the same zone intersect into one window
 * (common days, later start, earlier end) or into {@link #NEVER}; windows in different zones are simply kept side by
 * side. The set of instants permitted by {@code a.intersect(b)} is therefore exactly the set permitted by both.
 *
 * <p>Equality is structural. Two different zones with identical rules (for example an alias and its target) are kept
 * apart, so {@link Scope#isWithin} can be stricter than the instants alone would require, never looser.
 */
public final class OperatingHours {
    /** Every instant. */
    public static final OperatingHours ANY = new OperatingHours(Kind.ANY, Collections.emptySortedMap());

    /** No instant. */
    public static final OperatingHours NEVER = new OperatingHours(Kind.NEVER, Collections.emptySortedMap());

    /** Minutes in a day: the largest window end. */
    public static final int MINUTES_PER_DAY = 1440;

    private enum Kind {
        ANY,
        NEVER,
        WINDOWS
    }

    private final Kind kind;
    private final SortedMap<String, Window> windows; // by zone id

    private OperatingHours(Kind kind, SortedMap<String, Window> windows) {
        this.kind = kind;
        this.windows = windows;
    }

    /**
     * A weekly window in one time zone: on each of {@code days}, local minutes {@code [start, end)}.
     *
     * @param zone an IANA time zone (a region id known to the tz database, not an offset)
     * @param days the days of the week; never empty
     * @param start first permitted minute of the local day, 0..1439
     * @param end first minute no longer permitted, {@code start + 1}..1440
     */
    public record Window(ZoneId zone, Set<DayOfWeek> days, int start, int end) {
        /** @throws IllegalArgumentException when the zone is not an IANA region id or the window is empty */
        public Window {
            Objects.requireNonNull(zone, "zone");
            Objects.requireNonNull(days, "days");
            if (!Zones.isIana(zone.getId())) {
                throw new IllegalArgumentException("time zone must be an IANA region id");
            }
            if (days.isEmpty()) {
                throw new IllegalArgumentException("days must not be empty");
            }
            if (start < 0 || end > MINUTES_PER_DAY || start >= end) {
                throw new IllegalArgumentException("window must satisfy 0 <= start < end <= 1440");
            }
            days = Collections.unmodifiableSet(EnumSet.copyOf(days));
        }

        /** True when the local time of {@code at} in this zone falls in the window. */
        public boolean permits(Instant at) {
            ZonedDateTime local = at.atZone(zone);
            int minute = local.getHour() * 60 + local.getMinute();
            return days.contains(local.getDayOfWeek()) && start <= minute && minute < end;
        }

        /** The common part of two windows in the same zone, or null when they share no minute. */
        Window meet(Window other) {
            EnumSet<DayOfWeek> common = EnumSet.copyOf(days);
            common.retainAll(other.days);
            int s = Math.max(start, other.start);
            int e = Math.min(end, other.end);
            if (common.isEmpty() || s >= e) {
                return null;
            }
            return new Window(zone, common, s, e);
        }
    }

    /**
     * The conjunction of the given windows; windows in the same zone are merged, and the result is {@link #NEVER}
     * when a merge leaves nothing.
     *
     * @throws IllegalArgumentException when {@code windows} is empty
     */
    public static OperatingHours allOf(List<Window> windows) {
        if (windows.isEmpty()) {
            throw new IllegalArgumentException("at least one window is required");
        }
        TreeMap<String, Window> byZone = new TreeMap<>();
        for (Window w : windows) {
            Window prev = byZone.get(w.zone().getId());
            Window merged = prev == null ? w : prev.meet(w);
            if (merged == null) {
                return NEVER;
            }
            byZone.put(w.zone().getId(), merged);
        }
        return new OperatingHours(Kind.WINDOWS, Collections.unmodifiableSortedMap(byZone));
    }

    /** A single window. */
    public static OperatingHours of(Window window) {
        return allOf(List.of(window));
    }

    public boolean isAny() {
        return kind == Kind.ANY;
    }

    public boolean isNever() {
        return kind == Kind.NEVER;
    }

    /** The windows that must all hold, ordered by zone id; empty for {@link #ANY} and {@link #NEVER}. */
    public List<Window> windows() {
        return List.copyOf(windows.values());
    }

    /** True when {@code at} is permitted. */
    public boolean permits(Instant at) {
        Objects.requireNonNull(at, "at");
        return switch (kind) {
            case ANY -> true;
            case NEVER -> false;
            case WINDOWS -> windows.values().stream().allMatch(w -> w.permits(at));
        };
    }

    /** The instants permitted by both: exact, commutative, associative and idempotent. */
    public OperatingHours intersect(OperatingHours other) {
        if (kind == Kind.NEVER || other.kind == Kind.NEVER) {
            return NEVER;
        }
        if (kind == Kind.ANY) {
            return other;
        }
        if (other.kind == Kind.ANY) {
            return this;
        }
        List<Window> all = new ArrayList<>(windows.values());
        all.addAll(other.windows.values());
        return allOf(all);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof OperatingHours h && kind == h.kind && windows.equals(h.windows);
    }

    @Override
    public int hashCode() {
        return kind.hashCode() * 31 + windows.hashCode();
    }

    @Override
    public String toString() {
        return switch (kind) {
            case ANY -> "*";
            case NEVER -> "never";
            case WINDOWS -> windows.values().toString();
        };
    }
}
