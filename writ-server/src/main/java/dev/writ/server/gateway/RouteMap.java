package dev.writ.server.gateway;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.writ.core.action.Classification;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The authorize-mode route map: which HTTP requests are which actions. Each route maps a method and a path template
 * (literal segments and {@code {name}} segments) to an action name, a target, a classification and parameters taken
 * from the JSON body (by JSON Pointer), from path parameters, or constants.
 *
 * <pre>{@code
 * routes:
 *   - method: POST
 *     path: /orders
 *     action: erp.purchase_order.create
 *     target: https://erp.example
 *     classification: internal
 *     params:
 *       amount: /amount              # shorthand for {body: /amount}
 *       currency: {body: /currency}
 *       counterparty: /vendor/id
 *       order: {path: id}            # a {id} segment of the path
 *       channel: {const: gateway}
 * }</pre>
 *
 * <p>Parsing is strict: unknown keys, duplicate keys, a pointer that does not start with {@code /}, a path parameter
 * that the template does not declare, an unknown classification, and two routes that could match the same request
 * (same method, same number of segments, and at each position equal literals or a parameter) are refused with a
 * {@link RouteMapException} naming the line. Matching is therefore independent of the order of the routes. A request
 * that matches no route has no action: the gateway refuses it (deny by default).
 */
public final class RouteMap {
    private static final ObjectMapper YAML =
            new ObjectMapper(new YAMLFactory()).enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    private static final Pattern METHOD = Pattern.compile("[A-Z][A-Z-]{0,19}");
    private static final Pattern PARAM_SEGMENT = Pattern.compile("\\{([A-Za-z_][A-Za-z0-9_]{0,63})}");
    private static final Pattern ACTION = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.:-]{0,127}");
    private static final Pattern PARAM_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,63}");
    private static final Set<String> ROUTE_KEYS =
            Set.of("method", "path", "action", "target", "classification", "params");

    private final List<Route> routes;

    private RouteMap(List<Route> routes) {
        this.routes = List.copyOf(routes);
    }

    /** Where one parameter's value comes from. */
    public sealed interface Source {
        /** A value in the JSON request body. */
        record Body(JsonPointer pointer) implements Source {}

        /** A {@code {name}} segment of the path template (percent-decoded). */
        record PathParam(String name) implements Source {}

        /** A constant (string, integer or boolean). */
        record Constant(JsonNode value) implements Source {}
    }

    /**
     * One route.
     *
     * @param line the line of the route in its file (for messages)
     * @param target the target (the envelope's {@code sub}), or {@code null} for the gateway's public base URL
     */
    public record Route(
            int line,
            String method,
            String path,
            List<String> segments,
            String action,
            String target,
            Classification classification,
            Map<String, Source> params) {
        public Route {
            segments = List.copyOf(segments);
            params = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(params));
        }

        /** Whether any parameter is read from the body (the body must then be a JSON object). */
        public boolean readsBody() {
            return params.values().stream().anyMatch(s -> s instanceof Source.Body);
        }

        String describe() {
            return method + " " + path + " (line " + line + ")";
        }
    }

    /** A matched route with its path parameters (percent-decoded). */
    public record Match(Route route, Map<String, String> pathParams) {
        public Match {
            pathParams = Map.copyOf(pathParams);
        }
    }

    public List<Route> routes() {
        return routes;
    }

    /**
     * Reads a route map file.
     *
     * @throws RouteMapException when the file cannot be read or is not a valid route map
     */
    public static RouteMap load(Path file) throws RouteMapException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new RouteMapException(
                    file + ": cannot be read (" + e.getClass().getSimpleName() + ")", e);
        }
        return parse(text, file.toString());
    }

    /**
     * Parses a route map.
     *
     * @param source a name for messages (usually the file name)
     * @throws RouteMapException naming the line of the first problem
     */
    public static RouteMap parse(String yaml, String source) throws RouteMapException {
        List<Route> routes = new ArrayList<>();
        try (JsonParser p = YAML.getFactory().createParser(yaml)) {
            p.setCodec(YAML);
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new RouteMapException(source + ": expected a mapping with a 'routes' list");
            }
            boolean seenRoutes = false;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String key = p.currentName();
                int keyLine = line(p);
                if (!key.equals("routes")) {
                    throw new RouteMapException(source + " line " + keyLine + ": unknown key '" + key + "'");
                }
                seenRoutes = true;
                if (p.nextToken() != JsonToken.START_ARRAY) {
                    throw new RouteMapException(source + " line " + keyLine + ": 'routes' must be a list");
                }
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    int line = line(p);
                    if (p.currentToken() != JsonToken.START_OBJECT) {
                        throw new RouteMapException(source + " line " + line + ": a route must be a mapping");
                    }
                    JsonNode node = p.readValueAsTree();
                    routes.add(route(node, line, source));
                }
            }
            if (!seenRoutes) {
                throw new RouteMapException(source + ": a 'routes' list is required");
            }
        } catch (JsonProcessingException e) {
            int line = e.getLocation() == null ? 0 : e.getLocation().getLineNr();
            throw new RouteMapException(source + " line " + line + ": " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new RouteMapException(source + ": cannot be parsed", e);
        }
        // Two routes that could match one request would make the action depend on the order of the file.
        for (int i = 0; i < routes.size(); i++) {
            for (int j = 0; j < i; j++) {
                if (overlap(routes.get(j), routes.get(i))) {
                    throw new RouteMapException(source + " line "
                            + routes.get(i).line() + ": route "
                            + routes.get(i).method() + " " + routes.get(i).path() + " overlaps the route on line "
                            + routes.get(j).line() + " (" + routes.get(j).method() + " "
                            + routes.get(j).path() + ")");
                }
            }
        }
        return new RouteMap(routes);
    }

    private static int line(JsonParser p) {
        return p.currentTokenLocation().getLineNr();
    }

    private static Route route(JsonNode n, int line, String source) throws RouteMapException {
        String where = source + " line " + line + ": ";
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            // An unknown key is most likely a typo of a known one: ignoring it would silently change the mapping.
            if (!ROUTE_KEYS.contains(k)) {
                throw new RouteMapException(where + "unknown key '" + k + "' in a route");
            }
        }
        String method = text(n, "method", where, true);
        if (!METHOD.matcher(method).matches()) {
            throw new RouteMapException(where + "method must be an upper-case HTTP method");
        }
        String path = text(n, "path", where, true);
        List<String> segments = segments(path, where);
        String action = text(n, "action", where, true);
        if (!ACTION.matcher(action).matches()) {
            throw new RouteMapException(where + "action must be an action name such as erp.purchase_order.create");
        }
        String target = text(n, "target", where, false);
        if (target != null && target.isBlank()) {
            throw new RouteMapException(where + "target must not be empty");
        }
        Classification classification;
        try {
            classification = Classification.fromWire(text(n, "classification", where, true));
        } catch (IllegalArgumentException e) {
            throw new RouteMapException(where + e.getMessage());
        }
        Map<String, Source> params = new LinkedHashMap<>();
        JsonNode ps = n.get("params");
        if (ps != null && !ps.isNull()) {
            if (!ps.isObject()) {
                throw new RouteMapException(where + "params must be a mapping");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = ps.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!PARAM_NAME.matcher(e.getKey()).matches()) {
                    throw new RouteMapException(where + "parameter name '" + e.getKey() + "' is not an identifier");
                }
                params.put(e.getKey(), source(e.getKey(), e.getValue(), segments, where));
            }
        }
        return new Route(line, method, path, segments, action, target, classification, params);
    }

    private static Source source(String name, JsonNode v, List<String> segments, String where)
            throws RouteMapException {
        String what = where + "params." + name + ": ";
        if (v.isTextual()) {
            return new Source.Body(pointer(v.textValue(), what));
        }
        if (!v.isObject() || v.size() != 1) {
            throw new RouteMapException(what
                    + "expected a JSON pointer such as /amount, or exactly one of {body: …}, {path: …}, {const: …}");
        }
        Map.Entry<String, JsonNode> e = v.fields().next();
        JsonNode value = e.getValue();
        switch (e.getKey()) {
            case "body" -> {
                if (!value.isTextual()) throw new RouteMapException(what + "body must be a JSON pointer");
                return new Source.Body(pointer(value.textValue(), what));
            }
            case "path" -> {
                if (!value.isTextual() || !segments.contains("{" + value.textValue() + "}")) {
                    throw new RouteMapException(what + "path must name a {parameter} of the route's path");
                }
                return new Source.PathParam(value.textValue());
            }
            case "const" -> {
                // Amounts are integers in minor units: a floating-point constant is refused like a floating-point body.
                if (!value.isTextual()
                        && !(value.isIntegralNumber() && value.canConvertToLong())
                        && !value.isBoolean()) {
                    throw new RouteMapException(what + "const must be a string, an integer or a boolean");
                }
                return new Source.Constant(value.deepCopy());
            }
            default -> throw new RouteMapException(what + "unknown source '" + e.getKey() + "' (body, path or const)");
        }
    }

    private static JsonPointer pointer(String s, String what) throws RouteMapException {
        // The empty pointer would take the whole body as one parameter: never what a route means.
        if (s.isEmpty() || !s.startsWith("/")) {
            throw new RouteMapException(what + "'" + s + "' is not a JSON pointer (it must start with /)");
        }
        // RFC 6901: '~' only as the escapes ~0 and ~1 (Jackson would read a stray '~' literally).
        if (s.replaceAll("~[01]", "").indexOf('~') >= 0) {
            throw new RouteMapException(what + "'" + s + "' is not a valid JSON pointer");
        }
        try {
            return JsonPointer.compile(s);
        } catch (IllegalArgumentException e) {
            throw new RouteMapException(what + "'" + s + "' is not a valid JSON pointer");
        }
    }

    private static List<String> segments(String path, String where) throws RouteMapException {
        if (!path.startsWith("/")) {
            throw new RouteMapException(where + "path must start with /");
        }
        if (path.contains("?") || path.contains("#")) {
            throw new RouteMapException(where + "path must not contain a query or fragment");
        }
        List<String> out = new ArrayList<>();
        if (path.equals("/")) {
            return out;
        }
        Set<String> names = new java.util.HashSet<>();
        for (String seg : path.substring(1).split("/", -1)) {
            if (seg.isEmpty() || seg.equals(".") || seg.equals("..")) {
                throw new RouteMapException(where + "path must not contain empty, . or .. segments");
            }
            if (seg.contains("{") || seg.contains("}")) {
                var m = PARAM_SEGMENT.matcher(seg);
                if (!m.matches()) {
                    throw new RouteMapException(where + "a path parameter must be a whole segment such as {id}");
                }
                if (!names.add(m.group(1))) {
                    throw new RouteMapException(where + "path parameter {" + m.group(1) + "} appears twice");
                }
            }
            out.add(seg);
        }
        return out;
    }

    private static boolean isParam(String segment) {
        return segment.startsWith("{");
    }

    private static boolean overlap(Route a, Route b) {
        if (!a.method().equals(b.method())
                || a.segments().size() != b.segments().size()) {
            return false;
        }
        for (int i = 0; i < a.segments().size(); i++) {
            String x = a.segments().get(i);
            String y = b.segments().get(i);
            if (!isParam(x) && !isParam(y) && !x.equals(y)) {
                return false;
            }
        }
        return true;
    }

    private static String text(JsonNode n, String key, String where, boolean required) throws RouteMapException {
        JsonNode v = n.get(key);
        if (v == null || v.isNull()) {
            if (required) throw new RouteMapException(where + "'" + key + "' is required");
            return null;
        }
        if (!v.isTextual()) {
            throw new RouteMapException(where + "'" + key + "' must be a string");
        }
        return v.textValue();
    }

    /**
     * The route for a request, by method and raw (still percent-encoded) path; literal segments compare byte for
     * byte. Empty when no route matches, or when the path has empty, {@code .} or {@code ..} segments (which an
     * upstream might normalise into another resource than the one the route names).
     */
    public Optional<Match> match(String method, String rawPath) {
        if (rawPath == null || !rawPath.startsWith("/")) {
            return Optional.empty();
        }
        List<String> parts = new ArrayList<>();
        if (!rawPath.equals("/")) {
            for (String seg : rawPath.substring(1).split("/", -1)) {
                String decoded = decode(seg);
                // Dot and empty segments could name another resource once the upstream normalises the path.
                if (decoded == null || decoded.isEmpty() || decoded.equals(".") || decoded.equals("..")) {
                    return Optional.empty();
                }
                parts.add(seg);
            }
        }
        for (Route r : routes) {
            if (!r.method().equals(method) || r.segments().size() != parts.size()) {
                continue;
            }
            Map<String, String> values = new LinkedHashMap<>();
            boolean ok = true;
            for (int i = 0; i < parts.size() && ok; i++) {
                String t = r.segments().get(i);
                if (isParam(t)) {
                    String v = decode(parts.get(i));
                    // An encoded slash in a parameter would let one segment stand for several.
                    ok = v != null && !v.contains("/");
                    if (ok) values.put(t.substring(1, t.length() - 1), v);
                } else {
                    ok = t.equals(parts.get(i));
                }
            }
            if (ok) {
                return Optional.of(new Match(r, values));
            }
        }
        return Optional.empty();
    }

    private static String decode(String segment) {
        try {
            return URLDecoder.decode(segment.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
