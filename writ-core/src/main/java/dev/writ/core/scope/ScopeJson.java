package dev.writ.core.scope;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.core.action.Classification;
import dev.writ.core.json.CanonicalJson;
import java.math.BigInteger;
import java.time.DayOfWeek;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The JSON form of a scope: strict parsing and canonical (RFC 8785) output. */
final class ScopeJson {
    static final int MAX_JSON_CHARS = 64 * 1024;

    private static final JsonMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(
                            StreamReadConstraints.builder().maxNestingDepth(16).build())
                    .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                    .disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
                    .build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private static final Set<String> FIELDS =
            Set.of("actions", "limits", "counterparties", "regions", "hours", "classification", "delegation");
    private static final Set<String> HOURS_FIELDS = Set.of("tz", "days", "start", "end");
    private static final String[] DAY_NAMES = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

    private ScopeJson() {}

    static Scope parse(String json) throws ScopeException {
        if (json == null || json.isBlank()) {
            throw new ScopeException("scope.empty", "the scope is empty");
        }
        if (json.length() > MAX_JSON_CHARS) {
            throw new ScopeException("scope.too_large", "the scope is larger than 64 KiB");
        }
        JsonNode root;
        try {
            root = MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new ScopeException("scope.malformed", "the scope is not well-formed JSON");
        }
        return parse(root);
    }

    static Scope parse(JsonNode root) throws ScopeException {
        if (root == null || root.isMissingNode() || root.isNull()) {
            throw new ScopeException("scope.empty", "the scope is empty");
        }
        if (!root.isObject()) {
            throw new ScopeException("scope.malformed", "the scope must be a JSON object");
        }
        if (root.isEmpty()) {
            throw new ScopeException("scope.empty", "the scope is empty");
        }
        rejectUnknown(root, FIELDS, "scope");
        for (String f :
                List.of("actions", "limits", "counterparties", "regions", "hours", "classification", "delegation")) {
            if (!root.has(f)) {
                throw new ScopeException("scope.missing_dimension", "the scope has no " + f + " (write * for any)");
            }
        }
        return Scope.of(
                strings(root.get("actions"), "actions"),
                limits(root.get("limits")),
                strings(root.get("counterparties"), "counterparties"),
                strings(root.get("regions"), "regions"),
                hours(root.get("hours")),
                classification(root.get("classification")),
                delegation(root.get("delegation")));
    }

    private static void rejectUnknown(JsonNode obj, Set<String> known, String where) throws ScopeException {
        for (Iterator<String> it = obj.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!known.contains(name)) {
                throw new ScopeException("scope.unknown_field", "unknown field in " + where + ": " + printable(name));
            }
        }
    }

    /** A field name safe to echo: short, visible ASCII only. */
    private static String printable(String s) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length() && sb.length() < 40; i++) {
            char c = s.charAt(i);
            sb.append(c >= 0x21 && c <= 0x7e ? c : '?');
        }
        return sb.toString();
    }

    private static List<String> strings(JsonNode n, String what) throws ScopeException {
        if (!n.isArray()) {
            throw new ScopeException("scope.malformed", what + " must be an array of strings");
        }
        Scope.checkSize(n.size(), what);
        List<String> out = new ArrayList<>(n.size());
        for (JsonNode e : n) {
            if (!e.isTextual()) {
                throw new ScopeException("scope.malformed", what + " must be an array of strings");
            }
            out.add(e.textValue());
        }
        return out;
    }

    private static Map<String, Long> limits(JsonNode n) throws ScopeException {
        if (!n.isObject()) {
            throw new ScopeException("scope.malformed", "limits must be an object of currency to minor units");
        }
        Scope.checkSize(n.size(), "limits");
        Map<String, Long> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : n.properties()) {
            Scope.checkCurrency(e.getKey());
            JsonNode v = e.getValue();
            if (!v.isIntegralNumber()) {
                throw new ScopeException("scope.limit_invalid", "a limit must be an integer in minor units");
            }
            BigInteger big = v.bigIntegerValue();
            if (big.signum() < 0) {
                throw new ScopeException("scope.limit_negative", "a limit must not be negative");
            }
            if (big.compareTo(BigInteger.valueOf(Scope.MAX_LIMIT)) > 0) {
                throw new ScopeException("scope.limit_invalid", "a limit must not exceed 2^53 - 1 minor units");
            }
            out.put(e.getKey(), big.longValue());
        }
        return out;
    }

    private static OperatingHours hours(JsonNode n) throws ScopeException {
        if (n.isTextual()) {
            switch (n.textValue()) {
                case "*":
                    return OperatingHours.ANY;
                case "never":
                    return OperatingHours.NEVER;
                default:
                    throw new ScopeException(
                            "scope.hours_invalid", "hours must be \"*\", \"never\", a window or windows");
            }
        }
        List<OperatingHours.Window> windows = new ArrayList<>();
        if (n.isObject()) {
            windows.add(window(n));
        } else if (n.isArray() && !n.isEmpty()) {
            Scope.checkSize(n.size(), "hours");
            for (JsonNode w : n) {
                windows.add(window(w));
            }
        } else {
            throw new ScopeException("scope.hours_invalid", "hours must be \"*\", \"never\", a window or windows");
        }
        return OperatingHours.allOf(windows);
    }

    private static OperatingHours.Window window(JsonNode n) throws ScopeException {
        if (!n.isObject()) {
            throw new ScopeException("scope.hours_invalid", "an hours window must be an object");
        }
        rejectUnknown(n, HOURS_FIELDS, "hours");
        for (String f : List.of("tz", "days", "start", "end")) {
            if (!n.has(f)) {
                throw new ScopeException("scope.hours_invalid", "an hours window needs tz, days, start and end");
            }
        }
        JsonNode tz = n.get("tz");
        if (!tz.isTextual() || !Zones.isIana(tz.textValue())) {
            throw new ScopeException("scope.timezone_unknown", "tz must be an IANA time zone id");
        }
        JsonNode days = n.get("days");
        if (!days.isArray() || days.isEmpty() || days.size() > 7) {
            throw new ScopeException("scope.hours_invalid", "days must be a non-empty array of mon..sun");
        }
        EnumSet<DayOfWeek> set = EnumSet.noneOf(DayOfWeek.class);
        for (JsonNode d : days) {
            DayOfWeek day = d.isTextual() ? day(d.textValue()) : null;
            if (day == null || !set.add(day)) {
                throw new ScopeException("scope.hours_invalid", "days must be distinct values of mon..sun");
            }
        }
        int start = minute(n.get("start"), 0, OperatingHours.MINUTES_PER_DAY - 1);
        int end = minute(n.get("end"), 1, OperatingHours.MINUTES_PER_DAY);
        if (start >= end) {
            throw new ScopeException("scope.hours_invalid", "start must be before end");
        }
        return new OperatingHours.Window(ZoneId.of(tz.textValue()), set, start, end);
    }

    private static int minute(JsonNode n, int min, int max) throws ScopeException {
        if (!n.isIntegralNumber() || !n.canConvertToInt() || n.intValue() < min || n.intValue() > max) {
            throw new ScopeException("scope.hours_invalid", "start and end must be minutes of the day, 0 to 1440");
        }
        return n.intValue();
    }

    static DayOfWeek day(String name) {
        for (int i = 0; i < DAY_NAMES.length; i++) {
            if (DAY_NAMES[i].equals(name)) {
                return DayOfWeek.of(i + 1);
            }
        }
        return null;
    }

    private static Classification classification(JsonNode n) throws ScopeException {
        try {
            return Classification.fromWire(n.isTextual() ? n.textValue() : null);
        } catch (IllegalArgumentException e) {
            throw new ScopeException(
                    "scope.classification_unknown",
                    "classification must be public, internal, confidential or restricted");
        }
    }

    private static int delegation(JsonNode n) throws ScopeException {
        if (!n.isIntegralNumber() || !n.canConvertToLong()) {
            throw new ScopeException("scope.delegation_invalid", "delegation must be an integer >= 0");
        }
        return Scope.checkDelegation(n.longValue());
    }

    static ObjectNode toNode(Scope s) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode o = f.objectNode();
        ArrayNode actions = o.putArray("actions");
        s.actions().forEach(actions::add);
        ObjectNode limits = o.putObject("limits");
        s.limits().forEach(limits::put);
        ArrayNode cps = o.putArray("counterparties");
        s.counterparties().forEach(cps::add);
        ArrayNode regions = o.putArray("regions");
        s.regions().forEach(regions::add);
        OperatingHours h = s.hours();
        if (h.isAny()) {
            o.put("hours", "*");
        } else if (h.isNever()) {
            o.put("hours", "never");
        } else if (h.windows().size() == 1) {
            o.set("hours", windowNode(h.windows().get(0)));
        } else {
            ArrayNode arr = o.putArray("hours");
            h.windows().forEach(w -> arr.add(windowNode(w)));
        }
        o.put("classification", s.classification().wireName());
        o.put("delegation", s.delegationDepth());
        return o;
    }

    private static ObjectNode windowNode(OperatingHours.Window w) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("tz", w.zone().getId());
        ArrayNode days = o.putArray("days");
        for (DayOfWeek d : DayOfWeek.values()) {
            if (w.days().contains(d)) {
                days.add(DAY_NAMES[d.getValue() - 1]);
            }
        }
        o.put("start", w.start());
        o.put("end", w.end());
        return o;
    }

    static String write(Scope s) {
        return CanonicalJson.encodeToString(toNode(s));
    }
}
