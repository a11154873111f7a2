package dev.writ.core.scope;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.core.action.ActionRequest;
import dev.writ.core.action.Classification;
import java.time.DayOfWeek;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

/** The lattice laws of DESIGN §3, soundness and completeness of the check, and codec round trips. */
class ScopePropertiesTest {
    private static final List<String> SEGMENTS = List.of("transfer", "refund", "po", "create");
    private static final List<String> CURRENCIES = List.of("EUR", "USD", "GBP", "JPY", "CHF");
    private static final List<String> NAMES = List.of("acme", "globex", "initech", "eu-west-1", "us-east-1");
    private static final List<String> ZONES = List.of("Europe/Berlin", "America/New_York", "Asia/Tokyo", "UTC");
    private static final List<Integer> MINUTES = List.of(0, 60, 420, 480, 540, 720, 1020, 1080, 1439, 1440);

    static Arbitrary<String> actionName() {
        Arbitrary<String> first = Arbitraries.of("payments", "erp");
        Arbitrary<List<String>> rest = Arbitraries.of(SEGMENTS).list().ofMaxSize(2);
        return Combinators.combine(first, rest).as((f, r) -> r.isEmpty() ? f : f + "." + String.join(".", r));
    }

    static Arbitrary<String> actionPattern() {
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(2, Arbitraries.just("*")),
                net.jqwik.api.Tuple.of(5, actionName()),
                net.jqwik.api.Tuple.of(5, actionName().map(n -> n + ".*")));
    }

    static Arbitrary<Set<String>> nameSet() {
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(2, Arbitraries.just(Set.of("*"))),
                net.jqwik.api.Tuple.of(
                        4, Arbitraries.of(NAMES.subList(0, 3)).set().ofMaxSize(3)));
    }

    static Arbitrary<OperatingHours.Window> window() {
        Arbitrary<Set<DayOfWeek>> days =
                Arbitraries.of(DayOfWeek.class).set().ofMinSize(1).ofMaxSize(7);
        Arbitrary<List<Integer>> span = Arbitraries.of(MINUTES)
                .list()
                .ofSize(2)
                .filter(l -> !l.get(0).equals(l.get(1)))
                .map(l -> List.of(Math.min(l.get(0), l.get(1)), Math.max(l.get(0), l.get(1))));
        return Combinators.combine(Arbitraries.of(ZONES), days, span)
                .as((z, d, s) -> new OperatingHours.Window(ZoneId.of(z), EnumSet.copyOf(d), s.get(0), s.get(1)));
    }

    static Arbitrary<OperatingHours> hours() {
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(3, Arbitraries.just(OperatingHours.ANY)),
                net.jqwik.api.Tuple.of(1, Arbitraries.just(OperatingHours.NEVER)),
                net.jqwik.api.Tuple.of(
                        6, window().list().ofMinSize(1).ofMaxSize(3).map(OperatingHours::allOf)));
    }

    @Provide
    static Arbitrary<Scope> scopes() {
        Arbitrary<List<String>> actions = actionPattern().list().ofMinSize(1).ofMaxSize(4);
        Arbitrary<Map<String, Long>> limits = Arbitraries.maps(
                        Arbitraries.of(CURRENCIES),
                        Arbitraries.frequencyOf(
                                net.jqwik.api.Tuple.of(5, Arbitraries.longs().between(0, 2000)),
                                net.jqwik.api.Tuple.of(1, Arbitraries.just(Scope.MAX_LIMIT))))
                .ofMaxSize(4);
        Arbitrary<Integer> delegation = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(8, Arbitraries.integers().between(0, 4)),
                net.jqwik.api.Tuple.of(1, Arbitraries.just(Scope.MAX_DELEGATION)));
        return Combinators.combine(
                        actions,
                        limits,
                        nameSet(),
                        nameSet(),
                        hours(),
                        Arbitraries.of(Classification.class),
                        delegation)
                .as((a, l, c, r, h, cl, d) -> {
                    try {
                        return Scope.of(a, l, c, r, h, cl, d);
                    } catch (ScopeException e) {
                        throw new AssertionError(e);
                    }
                });
    }

    @Provide
    static Arbitrary<ActionRequest> actions() {
        Arbitrary<Optional<Long>> amount = Arbitraries.longs().between(-5, 2500).optional(0.8);
        Arbitrary<Optional<String>> currency =
                Arbitraries.of("EUR", "USD", "GBP", "JPY", "CHF", "eur", "SEK").optional(0.9);
        Arbitrary<Optional<String>> name = Arbitraries.of(NAMES).optional(0.8);
        return Combinators.combine(actionName(), Arbitraries.of(Classification.class), amount, currency, name, name)
                .as((n, cl, am, cu, cp, rg) -> {
                    ObjectNode p = JsonNodeFactory.instance.objectNode();
                    am.ifPresent(v -> p.put("amount", v));
                    cu.ifPresent(v -> p.put("currency", v));
                    cp.ifPresent(v -> p.put("counterparty", v));
                    rg.ifPresent(v -> p.put("region", v));
                    return new ActionRequest(n, "target", p, cl, null);
                });
    }

    @Provide
    static Arbitrary<Instant> instants() {
        // 2026 and 2027, to cross both DST transitions of every zone used.
        return Arbitraries.longs()
                .between(
                        Instant.parse("2026-01-01T00:00:00Z").getEpochSecond(),
                        Instant.parse("2028-01-01T00:00:00Z").getEpochSecond())
                .map(Instant::ofEpochSecond);
    }

    static boolean permits(Scope s, ActionRequest a, Instant at) {
        try {
            s.check(a, at);
            return true;
        } catch (ScopeViolation v) {
            return false;
        }
    }

    @Property(tries = 300)
    void intersectIsCommutative(@ForAll("scopes") Scope a, @ForAll("scopes") Scope b) {
        assertThat(a.intersect(b)).isEqualTo(b.intersect(a));
    }

    @Property(tries = 300)
    void intersectIsAssociative(@ForAll("scopes") Scope a, @ForAll("scopes") Scope b, @ForAll("scopes") Scope c) {
        assertThat(a.intersect(b).intersect(c)).isEqualTo(a.intersect(b.intersect(c)));
    }

    @Property(tries = 300)
    void intersectIsIdempotent(@ForAll("scopes") Scope a) {
        assertThat(a.intersect(a)).isEqualTo(a);
    }

    @Property(tries = 300)
    void intersectionIsWithinBoth(@ForAll("scopes") Scope a, @ForAll("scopes") Scope b) {
        Scope i = a.intersect(b);
        assertThat(i.isWithin(a)).isTrue();
        assertThat(i.isWithin(b)).isTrue();
    }

    @Property(tries = 300)
    void isWithinIsExactlyIntersectionEquality(@ForAll("scopes") Scope a, @ForAll("scopes") Scope b) {
        assertThat(a.isWithin(b)).isEqualTo(a.intersect(b).equals(a));
        // ... and it is a partial order consistent with intersection as the greatest lower bound.
        assertThat(a.isWithin(a)).isTrue();
        if (a.isWithin(b) && b.isWithin(a)) {
            assertThat(a).isEqualTo(b);
        }
    }

    @Property(tries = 300)
    void intersectionIsTheGreatestLowerBound(
            @ForAll("scopes") Scope a, @ForAll("scopes") Scope b, @ForAll("scopes") Scope c) {
        Scope lower = c.intersect(a).intersect(b); // some scope within both a and b
        assertThat(lower.isWithin(a.intersect(b))).isTrue();
    }

    @Property(tries = 300)
    void topIsTheIdentity(@ForAll("scopes") Scope a) {
        assertThat(Scope.top().intersect(a)).isEqualTo(a);
        assertThat(a.intersect(Scope.top())).isEqualTo(a);
        assertThat(a.isWithin(Scope.top())).isTrue();
    }

    @Property(tries = 300)
    void delegationOnlyShrinks(@ForAll("scopes") Scope parent, @ForAll("scopes") Scope requested) {
        if (parent.delegationDepth() == 0) {
            try {
                parent.delegate(requested);
                throw new AssertionError("a scope with depth 0 delegated");
            } catch (ScopeException e) {
                assertThat(e.code()).isEqualTo("scope.delegation");
            }
            return;
        }
        Scope child;
        try {
            child = parent.delegate(requested);
        } catch (ScopeException e) {
            throw new AssertionError(e);
        }
        assertThat(child.isWithin(parent)).isTrue();
        assertThat(child.isWithin(requested.withDelegationDepth(child.delegationDepth())))
                .isTrue();
        assertThat(child.delegationDepth())
                .isLessThan(parent.delegationDepth())
                .isLessThanOrEqualTo(requested.delegationDepth())
                .isEqualTo(Math.min(requested.delegationDepth(), parent.delegationDepth() - 1));
    }

    @Property(tries = 2000, edgeCases = net.jqwik.api.EdgeCasesMode.NONE)
    void checkOfTheIntersectionIsSoundAndComplete(
            @ForAll("scopes") Scope a, @ForAll("scopes") Scope b, @ForAll java.util.Random random) {
        // Actions and instants drawn from the scopes themselves, so that a fair share is permitted by both and the
        // "permitted by both => permitted by the intersection" direction is really exercised.
        ActionRequest action = plausibleAction(a, b, random);
        Instant at = plausibleInstant(random.nextInt(4) > 0 ? a.intersect(b) : a, random);
        // Exact: the intersection permits an action at an instant iff both operands do.
        boolean both = permits(a, action, at) && permits(b, action, at);
        net.jqwik.api.statistics.Statistics.collect(both ? "permitted by both" : "denied by at least one");
        net.jqwik.api.statistics.Statistics.coverage(
                c -> c.check("permitted by both").count(n -> n >= 20));
        assertThat(permits(a.intersect(b), action, at)).isEqualTo(both);
    }

    /** A random instant in 2026-2027, mostly inside one of the scope's windows when it has any. */
    static Instant plausibleInstant(Scope s, java.util.Random r) {
        java.time.LocalDate day = java.time.LocalDate.of(2026, 1, 1).plusDays(r.nextInt(730));
        if (s.hours().windows().isEmpty() || r.nextInt(4) == 0) {
            return day.atStartOfDay(java.time.ZoneOffset.UTC).toInstant().plusSeconds(r.nextInt(86400));
        }
        OperatingHours.Window w = pick(s.hours().windows(), r);
        while (!w.days().contains(day.getDayOfWeek())) {
            day = day.plusDays(1);
        }
        int minute = w.start() + r.nextInt(w.end() - w.start());
        return day.atStartOfDay(w.zone()).plusMinutes(minute).toInstant();
    }

    private static <T> T pick(java.util.Collection<T> from, java.util.Random r) {
        List<T> l = new ArrayList<>(from);
        return l.get(r.nextInt(l.size()));
    }

    static ActionRequest plausibleAction(Scope a, Scope b, java.util.Random r) {
        // Half of the time from the intersection (mostly permitted by both), else from one operand.
        Scope src = r.nextInt(4) > 0 ? a.intersect(b) : r.nextBoolean() ? a : b;
        String name;
        if (src.actions().isEmpty()) {
            name = "payments.transfer";
        } else {
            String p = pick(src.actions(), r);
            name = p.equals("*")
                    ? pick(SEGMENTS, r) + "." + pick(SEGMENTS, r)
                    : p.endsWith(".*") ? p.substring(0, p.length() - 1) + pick(SEGMENTS, r) : p;
        }
        ObjectNode params = JsonNodeFactory.instance.objectNode();
        if (!src.limits().isEmpty() && r.nextInt(5) > 0) {
            String c = pick(src.limits().keySet(), r);
            long limit = src.limits().get(c);
            // Mostly within the limit, sometimes just above it.
            long amount = r.nextInt(4) > 0 ? (long) (r.nextDouble() * Math.min(limit + 1, 3000)) : limit + 1;
            params.put("currency", c).put("amount", amount);
        }
        for (String field : List.of("counterparty", "region")) {
            Set<String> concrete =
                    new java.util.TreeSet<>(field.equals("region") ? src.regions() : src.counterparties());
            concrete.remove("*");
            if (!concrete.isEmpty()) {
                params.put(field, pick(concrete, r));
            } else if (r.nextBoolean()) {
                params.put(field, pick(NAMES, r));
            }
        }
        Classification cl =
                Classification.values()[r.nextInt(src.classification().ordinal() + 1)];
        if (r.nextInt(4) == 0) {
            cl = Classification.values()[r.nextInt(Classification.values().length)];
        }
        return new ActionRequest(name, "target", params, cl, null);
    }

    @Property(tries = 300)
    void withinMeansPermitsLess(
            @ForAll("scopes") Scope a,
            @ForAll("scopes") Scope b,
            @ForAll("actions") ActionRequest action,
            @ForAll("instants") Instant at) {
        Scope narrow = a.intersect(b);
        if (permits(narrow, action, at)) {
            assertThat(permits(a, action, at)).isTrue();
        }
    }

    @Property(tries = 300)
    void hoursIntersectionIsExact(
            @ForAll("hoursArb") OperatingHours a,
            @ForAll("hoursArb") OperatingHours b,
            @ForAll("instants") Instant at) {
        assertThat(a.intersect(b).permits(at)).isEqualTo(a.permits(at) && b.permits(at));
    }

    @Provide
    static Arbitrary<OperatingHours> hoursArb() {
        return hours();
    }

    @Property(tries = 300)
    void jsonRoundTrips(@ForAll("scopes") Scope a) throws ScopeException {
        String json = a.toJson();
        Scope back = Scope.parseJson(json);
        assertThat(back).isEqualTo(a);
        assertThat(back.hashCode()).isEqualTo(a.hashCode());
        assertThat(back.toJson()).isEqualTo(json);
    }

    @Property(tries = 300)
    void derRoundTrips(@ForAll("scopes") Scope a) throws ScopeException {
        byte[] der = a.toDer();
        Scope back = Scope.fromDer(der);
        assertThat(back).isEqualTo(a);
        assertThat(back.toDer()).isEqualTo(der);
    }

    @Property(tries = 2000)
    void derDecoderOnlyEverThrowsScopeExceptionOnMutations(
            @ForAll("scopes") Scope a, @ForAll @Size(min = 1, max = 4) List<Integer> positions, @ForAll byte value) {
        byte[] der = a.toDer();
        for (int p : positions) {
            der[Math.floorMod(p, der.length)] ^= value == 0 ? 1 : value;
        }
        decodeOrScopeException(der);
    }

    @Property(tries = 2000)
    void derDecoderOnlyEverThrowsScopeExceptionOnRandomBytes(@ForAll @Size(max = 300) byte[] bytes) {
        decodeOrScopeException(bytes);
        // And behind a plausible header, so the parser gets further.
        byte[] framed = new byte[bytes.length + 2];
        framed[0] = 0x30;
        framed[1] = (byte) Math.min(bytes.length, 127);
        System.arraycopy(bytes, 0, framed, 2, bytes.length);
        decodeOrScopeException(framed);
    }

    @Property(tries = 1000)
    void derDecoderOnlyEverThrowsScopeExceptionOnTruncations(@ForAll("scopes") Scope a, @ForAll int cut) {
        byte[] der = a.toDer();
        decodeOrScopeException(java.util.Arrays.copyOf(der, Math.floorMod(cut, der.length)));
    }

    private static void decodeOrScopeException(byte[] der) {
        try {
            Scope s = Scope.fromDer(der);
            // Whatever is accepted is canonical.
            assertThat(s.toDer()).isEqualTo(der);
        } catch (ScopeException expected) {
            assertThat(expected.code()).startsWith("scope.");
        }
    }

    @Property(tries = 1000)
    void jsonParserOnlyEverThrowsScopeExceptionOnMutations(
            @ForAll("scopes") Scope a, @ForAll @Size(min = 1, max = 3) List<Integer> positions, @ForAll char c) {
        StringBuilder json = new StringBuilder(a.toJson());
        for (int p : positions) {
            json.setCharAt(Math.floorMod(p, json.length()), c);
        }
        try {
            Scope s = Scope.parseJson(json.toString());
            assertThat(Scope.parseJson(s.toJson())).isEqualTo(s);
        } catch (ScopeException expected) {
            assertThat(expected.code()).startsWith("scope.");
        }
    }

    @Property(tries = 300)
    void actionPatternsIntersectLikeTheSetsOfNamesTheyMatch(
            @ForAll("patternLists") List<String> a, @ForAll("patternLists") List<String> b, @ForAll("names") String n)
            throws ScopeException {
        Scope sa = Scope.top().intersect(withActions(a));
        Scope sb = Scope.top().intersect(withActions(b));
        assertThat(sa.intersect(sb).permitsAction(n)).isEqualTo(sa.permitsAction(n) && sb.permitsAction(n));
        // Normal form: no pattern covers another one.
        List<String> normal = new ArrayList<>(sa.intersect(sb).actions());
        for (String p : normal) {
            for (String q : normal) {
                assertThat(p.equals(q) || !Scope.covers(p, q)).isTrue();
            }
        }
    }

    @Provide
    static Arbitrary<List<String>> patternLists() {
        return actionPattern().list().ofMaxSize(5);
    }

    @Provide
    static Arbitrary<String> names() {
        return actionName();
    }

    private static Scope withActions(List<String> actions) throws ScopeException {
        return Scope.of(actions, Map.of(), Set.of("*"), Set.of("*"), OperatingHours.ANY, Classification.RESTRICTED, 0);
    }
}
