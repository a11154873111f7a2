package dev.writ.core.scope;

import dev.writ.core.action.ActionRequest;
import dev.writ.core.action.Classification;
import java.time.Instant;
import java.util.Collection;
import java.util.Collections;
import java.util.Currency;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * An agent's authority ceiling, carried in the critical {@code id-writ-ce-scope} certificate extension.
 *
 * <p>Immutable. Scopes form a lattice: {@link #intersect} is the greatest scope permitted by both operands and
 * {@code a.isWithin(b)} holds exactly when {@code a.intersect(b).equals(a)}. Parsing fails closed: a missing or
 * malformed dimension is an error; "any" is written explicitly as {@code "*"}.
 *
 * <p>JSON form (also the form of the HTTP API and the CLI):
 *
 * <pre>{@code
 * {
 *   "actions": ["payments.*", "erp.purchase_order.create"],   // or ["*"]
 *   "limits": {"EUR": 1000000, "USD": 500000},                // minor units per ISO 4217 currency
 *   "counterparties": ["vendor-y"],                           // or ["*"]
 *   "regions": ["eu-west-1"],                                 // or ["*"]
 *   "hours": {"tz": "Europe/Berlin", "days": ["mon","tue","wed","thu","fri"], "start": 480, "end": 1080},
 *                                                             // or "*"
 *   "classification": "confidential",                         // the maximum level
 *   "delegation": 2                                           // maximum delegation depth, >= 0
 * }
 * }</pre>
 *
 * <p>Besides the forms above, {@code hours} may be {@code "never"} (no instant) or an array of window objects that must
 * all hold (the result of intersecting windows in different time zones); an empty {@code actions}, {@code limits},
 * {@code counterparties} or {@code regions} permits nothing in that dimension. Every value is kept in a canonical
 * normal form (see {@code docs/certificate-profile.md}), so equality is structural and {@link #toJson} and
 * {@link #toDer} are deterministic.
 */
public final class Scope {
    /** The largest delegation depth a scope may carry. */
    public static final int MAX_DELEGATION = 255;

    /** The largest amount limit: 2^53 − 1 minor units, the integer range every JSON implementation agrees on. */
    public static final long MAX_LIMIT = (1L << 53) - 1;

    /** The wildcard that stands for "any" in actions, counterparties and regions. */
    public static final String ANY = "*";

    static final int MAX_ENTRIES = 1024;
    static final int MAX_STRING = 256;

    private static final Pattern ACTION_NAME = Pattern.compile("[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*");
    private static final SortedSet<String> ANY_SET = Collections.unmodifiableSortedSet(new TreeSet<>(Set.of(ANY)));

    private final SortedSet<String> actions;
    private final SortedMap<String, Long> limits;
    private final SortedSet<String> counterparties;
    private final SortedSet<String> regions;
    private final OperatingHours hours;
    private final Classification classification;
    private final int delegation;

    private Scope(
            SortedSet<String> actions,
            SortedMap<String, Long> limits,
            SortedSet<String> counterparties,
            SortedSet<String> regions,
            OperatingHours hours,
            Classification classification,
            int delegation) {
        this.actions = actions;
        this.limits = limits;
        this.counterparties = counterparties;
        this.regions = regions;
        this.hours = hours;
        this.classification = classification;
        this.delegation = delegation;
    }

    /**
     * Builds a scope from its dimensions, validating each and bringing it into normal form (subsumed action patterns
     * removed, {@code *} absorbing every other value of its set).
     *
     * @param actions action patterns: exact names, prefix wildcards such as {@code payments.*}, or {@code *}
     * @param limits amount limits in minor units per upper-case ISO 4217 currency code
     * @param counterparties permitted counterparties, or {@code {"*"}}
     * @param regions permitted regions, or {@code {"*"}}
     * @throws ScopeException with the same codes as {@link #parseJson}
     */
    public static Scope of(
            Collection<String> actions,
            Map<String, Long> limits,
            Collection<String> counterparties,
            Collection<String> regions,
            OperatingHours hours,
            Classification classification,
            int delegation)
            throws ScopeException {
        Objects.requireNonNull(hours, "hours");
        Objects.requireNonNull(classification, "classification");
        return new Scope(
                normalizeActions(actions),
                normalizeLimits(limits),
                normalizeNames(counterparties, "counterparty"),
                normalizeNames(regions, "region"),
                hours,
                classification,
                checkDelegation(delegation));
    }

    /**
     * The top of the lattice: every action, every ISO 4217 currency known to this JVM up to {@link #MAX_LIMIT}, any
     * counterparty, region and time, {@code restricted} data, and {@link #MAX_DELEGATION}. {@code top().intersect(s)
     * .equals(s)} for every scope {@code s}.
     */
    public static Scope top() {
        return TOP;
    }

    private static final Scope TOP = buildTop();

    private static Scope buildTop() {
        TreeMap<String, Long> all = new TreeMap<>();
        for (Currency c : Currency.getAvailableCurrencies()) {
            if (isCurrencyCode(c.getCurrencyCode())) {
                all.put(c.getCurrencyCode(), MAX_LIMIT);
            }
        }
        return new Scope(
                ANY_SET,
                Collections.unmodifiableSortedMap(all),
                ANY_SET,
                ANY_SET,
                OperatingHours.ANY,
                Classification.RESTRICTED,
                MAX_DELEGATION);
    }

    /**
     * Parses the JSON form, failing closed.
     *
     * @throws ScopeException when the input is empty, malformed, has unknown fields, a missing dimension, an unknown
     *     currency, a negative limit, an invalid time zone or window, or a negative delegation depth
     */
    public static Scope parseJson(String json) throws ScopeException {
        return ScopeJson.parse(json);
    }

    /**
     * Reads the JSON form from a tree someone else parsed (an HTTP request body, a CLI file), with the same rules as
     * {@link #parseJson}. Duplicate keys cannot be detected in a tree: parse with
     * {@code StreamReadFeature.STRICT_DUPLICATE_DETECTION} when that matters.
     *
     * @throws ScopeException as {@link #parseJson}
     */
    public static Scope fromJson(com.fasterxml.jackson.databind.JsonNode json) throws ScopeException {
        return ScopeJson.parse(json);
    }

    /** The JSON form as a fresh tree, for embedding in a larger document. */
    public com.fasterxml.jackson.databind.node.ObjectNode toJsonNode() {
        return ScopeJson.toNode(this);
    }

    /** The canonical JSON form: {@code parseJson(s.toJson()).equals(s)}. */
    public String toJson() {
        return ScopeJson.write(this);
    }

    /**
     * Decodes the DER value of the {@code id-writ-ce-scope} extension (the extnValue contents).
     *
     * @throws ScopeException when the encoding is not valid DER of the documented ASN.1 module
     */
    public static Scope fromDer(byte[] der) throws ScopeException {
        return ScopeDer.decode(der);
    }

    /** The DER encoding of the extension value; deterministic. */
    public byte[] toDer() {
        return ScopeDer.encode(this);
    }

    /** The greatest scope permitted by both this scope and {@code other}. */
    public Scope intersect(Scope other) {
        Objects.requireNonNull(other, "other");
        return new Scope(
                intersectActions(actions, other.actions),
                intersectLimits(limits, other.limits),
                intersectNames(counterparties, other.counterparties),
                intersectNames(regions, other.regions),
                hours.intersect(other.hours),
                Classification.min(classification, other.classification),
                Math.min(delegation, other.delegation));
    }

    /** True exactly when {@code this.intersect(other).equals(this)}. */
    public boolean isWithin(Scope other) {
        return intersect(other).equals(this);
    }

    /** The maximum delegation depth; 0 means this agent may not delegate. */
    public int delegationDepth() {
        return delegation;
    }

    /**
     * A copy with another delegation depth.
     *
     * @throws IllegalArgumentException when {@code depth} is outside 0..{@link #MAX_DELEGATION}
     */
    public Scope withDelegationDepth(int depth) {
        if (depth < 0 || depth > MAX_DELEGATION) {
            throw new IllegalArgumentException("delegation depth must be between 0 and " + MAX_DELEGATION);
        }
        return new Scope(actions, limits, counterparties, regions, hours, classification, depth);
    }

    /**
     * The scope a child may receive: {@code requested ∩ this}, with delegation depth
     * {@code min(requested, this − 1)}.
     *
     * @throws ScopeException with code {@code scope.delegation} when this scope's delegation depth is 0
     */
    public Scope delegate(Scope requested) throws ScopeException {
        Objects.requireNonNull(requested, "requested");
        // Authority only shrinks: a scope without delegation depth left can hand nothing on.
        if (delegation == 0) {
            throw new ScopeException("scope.delegation", "this scope may not delegate");
        }
        return requested.intersect(this).withDelegationDepth(Math.min(requested.delegation, delegation - 1));
    }

    /**
     * Checks an action against this scope at an instant (for operating hours). The dimensions are checked in this
     * order: action, currency, amount, counterparty, region, classification, hours.
     *
     * <p>An action that carries an {@code amount} must carry a {@code currency} that has a limit here, and the amount
     * must be between 0 and that limit. When counterparties or regions are restricted (not {@code *}), the action
     * must name one of the permitted values: a restriction that cannot be checked is a denial.
     *
     * @throws ScopeViolation naming the first dimension the action exceeds
     */
    public void check(ActionRequest action, Instant at) throws ScopeViolation {
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(at, "at");
        // Actions outside the pattern set, and names that are not even well formed, are never permitted.
        if (!permitsAction(action.name())) {
            throw new ScopeViolation("scope.action", "the action is outside the scope");
        }
        Optional<Long> amount;
        Optional<String> currency;
        try {
            amount = action.amount();
            currency = action.currency();
        } catch (IllegalArgumentException e) {
            // An amount or currency we cannot read is treated as an amount we cannot permit.
            throw new ScopeViolation("scope.amount", "the amount or currency is not well formed");
        }
        if (amount.isPresent()) {
            // An amount-bearing action in a currency without a limit is denied (no implicit "any currency").
            Long limit = currency.map(limits::get).orElse(null);
            if (limit == null) {
                throw new ScopeViolation("scope.currency", "the currency has no limit in the scope");
            }
            // Negative amounts are refused too: they would let a "refund" move money the other way unchecked.
            if (amount.get() < 0 || amount.get() > limit) {
                throw new ScopeViolation("scope.amount", "the amount exceeds the scope's limit");
            }
        }
        Optional<String> counterparty;
        Optional<String> region;
        try {
            counterparty = action.counterparty();
        } catch (IllegalArgumentException e) {
            throw new ScopeViolation("scope.counterparty", "the counterparty is not well formed");
        }
        // A restricted dimension the action does not name cannot be checked, so it is denied.
        if (!permitsCounterparty(counterparty.orElse(null))) {
            throw new ScopeViolation("scope.counterparty", "the counterparty is outside the scope");
        }
        try {
            region = action.region();
        } catch (IllegalArgumentException e) {
            throw new ScopeViolation("scope.region", "the region is not well formed");
        }
        if (!permitsRegion(region.orElse(null))) {
            throw new ScopeViolation("scope.region", "the region is outside the scope");
        }
        if (action.classification().compareTo(classification) > 0) {
            throw new ScopeViolation("scope.classification", "the data classification exceeds the scope");
        }
        if (!hours.permits(at)) {
            throw new ScopeViolation("scope.hours", "the action is outside the scope's operating hours");
        }
    }

    /** True when {@code name} is a well-formed action name matched by one of the patterns. */
    public boolean permitsAction(String name) {
        if (name == null
                || name.length() > MAX_STRING
                || !ACTION_NAME.matcher(name).matches()) {
            return false;
        }
        for (String p : actions) {
            if (covers(p, name)) {
                return true;
            }
        }
        return false;
    }

    /** True when counterparties are {@code *}, or {@code counterparty} is one of them (null: not named). */
    public boolean permitsCounterparty(String counterparty) {
        return permitsName(counterparties, counterparty);
    }

    /** True when regions are {@code *}, or {@code region} is one of them (null: not named). */
    public boolean permitsRegion(String region) {
        return permitsName(regions, region);
    }

    /** Action patterns: exact names, prefix wildcards such as {@code payments.*}, or {@code *}. */
    public Set<String> actions() {
        return actions;
    }

    /** Amount limits in minor units per ISO 4217 currency. */
    public Map<String, Long> limits() {
        return limits;
    }

    /** Permitted counterparties, sorted; {@code {"*"}} for any. */
    public Set<String> counterparties() {
        return counterparties;
    }

    /** Permitted regions, sorted; {@code {"*"}} for any. */
    public Set<String> regions() {
        return regions;
    }

    /** Operating hours. */
    public OperatingHours hours() {
        return hours;
    }

    /** The maximum data classification. */
    public Classification classification() {
        return classification;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Scope s
                && delegation == s.delegation
                && classification == s.classification
                && actions.equals(s.actions)
                && limits.equals(s.limits)
                && counterparties.equals(s.counterparties)
                && regions.equals(s.regions)
                && hours.equals(s.hours);
    }

    @Override
    public int hashCode() {
        return Objects.hash(actions, limits, counterparties, regions, hours, classification, delegation);
    }

    /** The canonical JSON form. */
    @Override
    public String toString() {
        return toJson();
    }

    // ---- normal form and lattice operations on the dimensions ----

    static boolean isActionPattern(String p) {
        if (p == null || p.isEmpty() || p.length() > MAX_STRING) {
            return false;
        }
        if (p.equals(ANY)) {
            return true;
        }
        String name = p.endsWith(".*") ? p.substring(0, p.length() - 2) : p;
        return ACTION_NAME.matcher(name).matches();
    }

    /** True when every name matched by {@code q} is matched by {@code p} (both well-formed patterns). */
    static boolean covers(String p, String q) {
        if (p.equals(ANY) || p.equals(q)) {
            return true;
        }
        // "a.*" covers "a.b", "a.b.c" and "a.b.*", but not "a" itself.
        return p.endsWith(".*") && q.startsWith(p.substring(0, p.length() - 1));
    }

    /** Removes patterns covered by another pattern, leaving the unique antichain with the same meaning. */
    private static SortedSet<String> antichain(Collection<String> patterns) {
        TreeSet<String> in = new TreeSet<>(patterns);
        TreeSet<String> out = new TreeSet<>();
        for (String q : in) {
            boolean subsumed = false;
            for (String p : in) {
                if (!p.equals(q) && covers(p, q)) {
                    subsumed = true;
                    break;
                }
            }
            if (!subsumed) {
                out.add(q);
            }
        }
        return Collections.unmodifiableSortedSet(out);
    }

    private static SortedSet<String> normalizeActions(Collection<String> actions) throws ScopeException {
        Objects.requireNonNull(actions, "actions");
        checkSize(actions.size(), "actions");
        for (String a : actions) {
            if (!isActionPattern(a)) {
                throw new ScopeException(
                        "scope.action_invalid", "an action must be a dotted name, a dotted name followed by .*, or *");
            }
        }
        return antichain(actions);
    }

    private static SortedSet<String> intersectActions(SortedSet<String> a, SortedSet<String> b) {
        // Two prefix patterns are either nested or disjoint, so the pairwise meets are exact.
        TreeSet<String> meets = new TreeSet<>(); // a subset of a ∪ b: pairwise meets are one of their operands
        for (String x : a) {
            for (String y : b) {
                if (covers(x, y)) {
                    meets.add(y);
                } else if (covers(y, x)) {
                    meets.add(x);
                }
            }
        }
        return antichain(meets);
    }

    static boolean isCurrencyCode(String code) {
        if (code == null || code.length() != 3) {
            return false;
        }
        for (int i = 0; i < 3; i++) {
            char c = code.charAt(i);
            if (c < 'A' || c > 'Z') {
                return false;
            }
        }
        try {
            return Currency.getInstance(code).getCurrencyCode().equals(code);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    static void checkCurrency(String code) throws ScopeException {
        if (!isCurrencyCode(code)) {
            throw new ScopeException("scope.currency_unknown", "limits must be keyed by upper-case ISO 4217 codes");
        }
    }

    static void checkLimit(long v) throws ScopeException {
        if (v < 0) {
            throw new ScopeException("scope.limit_negative", "a limit must not be negative");
        }
        if (v > MAX_LIMIT) {
            throw new ScopeException("scope.limit_invalid", "a limit must not exceed 2^53 - 1 minor units");
        }
    }

    private static SortedMap<String, Long> normalizeLimits(Map<String, Long> limits) throws ScopeException {
        Objects.requireNonNull(limits, "limits");
        checkSize(limits.size(), "limits");
        TreeMap<String, Long> out = new TreeMap<>();
        for (Map.Entry<String, Long> e : limits.entrySet()) {
            checkCurrency(e.getKey());
            if (e.getValue() == null) {
                throw new ScopeException("scope.limit_invalid", "a limit must be an integer");
            }
            checkLimit(e.getValue());
            out.put(e.getKey(), e.getValue());
        }
        return Collections.unmodifiableSortedMap(out);
    }

    private static SortedMap<String, Long> intersectLimits(SortedMap<String, Long> a, SortedMap<String, Long> b) {
        TreeMap<String, Long> out = new TreeMap<>();
        for (Map.Entry<String, Long> e : a.entrySet()) {
            Long other = b.get(e.getKey());
            if (other != null) {
                out.put(e.getKey(), Math.min(e.getValue(), other));
            }
        }
        return Collections.unmodifiableSortedMap(out);
    }

    /** Counterparty and region values: 1..256 visible ASCII characters without {@code *}, or {@code *} alone. */
    static boolean isNameValue(String v) {
        if (v == null || v.isEmpty() || v.length() > MAX_STRING) {
            return false;
        }
        if (v.equals(ANY)) {
            return true;
        }
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c < 0x21 || c > 0x7e || c == '*') {
                return false;
            }
        }
        return true;
    }

    private static SortedSet<String> normalizeNames(Collection<String> names, String what) throws ScopeException {
        Objects.requireNonNull(names, what);
        checkSize(names.size(), what);
        for (String n : names) {
            if (!isNameValue(n)) {
                throw new ScopeException(
                        "scope.malformed",
                        "a " + what + " must be 1 to 256 visible ASCII characters without '*', or '*' alone");
            }
        }
        if (names.contains(ANY)) {
            return ANY_SET; // "*" absorbs every other value
        }
        return Collections.unmodifiableSortedSet(new TreeSet<>(names));
    }

    private static SortedSet<String> intersectNames(SortedSet<String> a, SortedSet<String> b) {
        if (a.equals(ANY_SET)) {
            return b;
        }
        if (b.equals(ANY_SET)) {
            return a;
        }
        TreeSet<String> out = new TreeSet<>(a);
        out.retainAll(b);
        return Collections.unmodifiableSortedSet(out);
    }

    private static boolean permitsName(SortedSet<String> set, String value) {
        if (set.equals(ANY_SET)) {
            return true;
        }
        return value != null && !value.equals(ANY) && set.contains(value);
    }

    static int checkDelegation(long depth) throws ScopeException {
        if (depth < 0 || depth > MAX_DELEGATION) {
            throw new ScopeException(
                    "scope.delegation_invalid", "the delegation depth must be between 0 and " + MAX_DELEGATION);
        }
        return (int) depth;
    }

    static void checkSize(int size, String what) throws ScopeException {
        if (size > MAX_ENTRIES) {
            throw new ScopeException("scope.too_large", "too many " + what + " entries (at most " + MAX_ENTRIES + ")");
        }
    }
}
