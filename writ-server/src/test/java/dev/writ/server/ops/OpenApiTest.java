package dev.writ.server.ops;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.server.api.Router;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The OpenAPI document cannot drift from the code: against a real {@code writ serve}, every documented operation is
 * routed (never the 404 fallback, never a 405), and every route the server mounts is documented.
 */
class OpenApiTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Set<String> METHODS = Set.of("get", "post", "put", "delete", "patch", "head", "options");
    static final Pattern TEMPLATE = Pattern.compile("\\{([A-Za-z_][A-Za-z0-9_]*)}");

    /** Documented operations of the forensics handler, which a build may not mount yet: the fallback is accepted. */
    static final Set<String> NOT_YET_MOUNTED = Set.of();

    @TempDir
    static Path tmp;

    static ServeFixture serve;
    static JsonNode doc;

    @BeforeAll
    static void start() throws Exception {
        serve = new ServeFixture(tmp.resolve("data"));
        HttpResponse<String> r = serve.get(serve.url + "/openapi.json");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type").orElse("")).startsWith("application/json");
        doc = JSON.readTree(r.body());
    }

    @AfterAll
    static void stop() throws Exception {
        serve.close();
    }

    /** One documented operation: method, path template, and a concrete path built from the parameters' examples. */
    record Operation(String method, String template, String concrete) {
        String key() {
            return method + " " + template;
        }
    }

    static List<Operation> operations(JsonNode document) {
        List<Operation> out = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> p = document.path("paths").fields(); p.hasNext(); ) {
            Map.Entry<String, JsonNode> path = p.next();
            for (Iterator<Map.Entry<String, JsonNode>> o = path.getValue().fields(); o.hasNext(); ) {
                Map.Entry<String, JsonNode> op = o.next();
                if (!METHODS.contains(op.getKey())) {
                    continue;
                }
                String concrete = path.getKey();
                Matcher m = TEMPLATE.matcher(path.getKey());
                while (m.find()) {
                    JsonNode param = pathParameter(document, op.getValue(), m.group(1));
                    assertThat(param)
                            .as("path parameter %s of %s %s is declared", m.group(1), op.getKey(), path.getKey())
                            .isNotNull();
                    assertThat(param.path("required").asBoolean()).isTrue();
                    assertThat(param.has("example"))
                            .as("path parameter %s has an example", m.group(1))
                            .isTrue();
                    concrete = concrete.replace(m.group(), param.path("example").asText());
                }
                out.add(new Operation(op.getKey().toUpperCase(java.util.Locale.ROOT), path.getKey(), concrete));
            }
        }
        return out;
    }

    static JsonNode pathParameter(JsonNode document, JsonNode operation, String name) {
        for (JsonNode p : operation.path("parameters")) {
            JsonNode resolved = resolve(document, p);
            if (resolved.path("in").asText().equals("path")
                    && resolved.path("name").asText().equals(name)) {
                return resolved;
            }
        }
        return null;
    }

    static JsonNode resolve(JsonNode document, JsonNode node) {
        if (!node.has("$ref")) {
            return node;
        }
        String ref = node.get("$ref").asText();
        assertThat(ref).startsWith("#/");
        JsonNode target = document.at(ref.substring(1));
        assertThat(target.isMissingNode()).as("%s resolves", ref).isFalse();
        return target;
    }

    @Test
    void theDocumentIsOpenApi31WithResolvableReferencesAndUniqueOperationIds() {
        assertThat(doc.path("openapi").asText()).isEqualTo("3.1.0");
        List<String> refs = new ArrayList<>();
        collectRefs(doc, refs);
        assertThat(refs).isNotEmpty();
        for (String ref : refs) {
            assertThat(doc.at(ref.substring(1)).isMissingNode()).as(ref).isFalse();
        }
        Set<String> ids = new HashSet<>();
        Set<String> schemes = new HashSet<>();
        doc.path("components").path("securitySchemes").fieldNames().forEachRemaining(schemes::add);
        assertThat(schemes).containsExactlyInAnyOrder("agentCredential", "operatorToken");
        for (Iterator<JsonNode> paths = doc.path("paths").elements(); paths.hasNext(); ) {
            for (Iterator<Map.Entry<String, JsonNode>> o = paths.next().fields(); o.hasNext(); ) {
                JsonNode op = o.next().getValue();
                assertThat(ids.add(op.path("operationId").asText())).isTrue();
                assertThat(op.has("security"))
                        .as("%s states who may call it", op.path("operationId"))
                        .isTrue();
                for (JsonNode requirement : op.path("security")) {
                    requirement.fieldNames().forEachRemaining(s -> assertThat(schemes)
                            .contains(s));
                    JsonNode roles = requirement.path("operatorToken");
                    for (JsonNode role : roles) {
                        assertThat(role.asText()).isIn("admin", "operator", "approver", "auditor");
                    }
                }
                assertThat(op.path("responses").size()).isPositive();
            }
        }
        // The error object is exactly the one the code writes.
        JsonNode error = doc.at("/components/schemas/Error/properties/error");
        assertThat(error.path("required").toString()).isEqualTo("[\"code\",\"message\"]");
    }

    static void collectRefs(JsonNode n, List<String> out) {
        if (n.isObject()) {
            if (n.has("$ref")) {
                out.add(n.get("$ref").asText());
            }
            n.elements().forEachRemaining(c -> collectRefs(c, out));
        } else if (n.isArray()) {
            n.elements().forEachRemaining(c -> collectRefs(c, out));
        }
    }

    @Test
    void everyDocumentedOperationIsRouted() throws Exception {
        List<String> fallback = new ArrayList<>();
        for (Operation op : operations(doc)) {
            int status;
            String code = null;
            if (op.template().equals("/v1/revocations/stream")) {
                HttpResponse<InputStream> r = serve.http.send(
                        HttpRequest.newBuilder(URI.create(serve.url + op.concrete()))
                                .build(),
                        HttpResponse.BodyHandlers.ofInputStream());
                status = r.statusCode();
                r.body().close();
            } else {
                HttpResponse<String> r =
                        serve.send(op.method(), op.concrete(), null, op.method().equals("POST") ? "{}" : null);
                status = r.statusCode();
                if (r.headers().firstValue("content-type").orElse("").startsWith("application/json") && status >= 400) {
                    code = JSON.readTree(r.body()).path("error").path("code").asText();
                }
            }
            // A prefix-mounted handler (the log) answers unknown resources below its prefix with its own 404: a
            // documented path without parameters must not get that either.
            boolean unknownResource =
                    "log.not_found".equals(code) && op.template().equals(op.concrete());
            boolean routed = !("request.not_found".equals(code)
                    || unknownResource
                    || (status == 405)
                    || (status == 404 && code == null));
            if (!routed && !NOT_YET_MOUNTED.contains(op.key())) {
                fallback.add(op.key() + " -> " + status + " " + code);
            }
        }
        assertThat(fallback).as("documented but not routed").isEmpty();
        assertThat(operations(doc)).hasSizeGreaterThanOrEqualTo(35);
    }

    @Test
    void everyMountedRouteIsDocumented() {
        List<String> routes = serve.server.routes();
        assertThat(routes).contains("POST /v1/authorize", "GET /api/v1/approvals", "* /log", "* /metrics");
        assertThat(undocumented(routes, operations(doc))).isEmpty();
    }

    @Test
    void anUndocumentedRouteIsFound() {
        Router extra = new Router().get("/api/v1/undocumented/{id}", ex -> {}).post("/v1/authorize", ex -> {});
        List<String> routes = new ArrayList<>(extra.routes());
        routes.add("* /nowhere");
        assertThat(undocumented(routes, operations(doc)))
                .containsExactly("GET /api/v1/undocumented/{id}", "* /nowhere");
    }

    /** Routes ({@code "METHOD /pattern"} or {@code "* /prefix"}) that no documented operation reaches. */
    static List<String> undocumented(List<String> routes, List<Operation> ops) {
        List<String> missing = new ArrayList<>();
        for (String route : routes) {
            String method = route.substring(0, route.indexOf(' '));
            String pattern = route.substring(route.indexOf(' ') + 1);
            boolean documented = ops.stream()
                    .anyMatch(op -> method.equals("*")
                            ? op.concrete().equals(pattern) || op.concrete().startsWith(pattern + "/")
                            : op.method().equals(method) && matches(pattern, op.concrete()));
            if (!documented) {
                missing.add(route);
            }
        }
        return missing;
    }

    /** The router's matching: {@code {x}} is one non-empty segment, {@code {x...}} (last) the rest. */
    static boolean matches(String pattern, String path) {
        String[] p = pattern.substring(1).split("/", -1);
        String[] s = path.substring(1).split("/", -1);
        for (int i = 0; i < p.length; i++) {
            if (p[i].startsWith("{") && p[i].endsWith("...}")) {
                return i < s.length;
            }
            if (i >= s.length) {
                return false;
            }
            if (p[i].startsWith("{") && p[i].endsWith("}")) {
                if (s[i].isEmpty()) {
                    return false;
                }
            } else if (!p[i].equals(s[i])) {
                return false;
            }
        }
        return p.length == s.length;
    }

    @Test
    void theGatewayDocumentDescribesWhatTheGatewayAnswersItself() throws Exception {
        JsonNode gateway = JSON.readTree(OpenApiHandler.document(OpenApiHandler.GATEWAY_RESOURCE));
        assertThat(gateway.path("openapi").asText()).isEqualTo("3.1.0");
        assertThat(operations(gateway))
                .extracting(Operation::key)
                .containsExactlyInAnyOrder(
                        "GET " + MetricsHandler.PATH,
                        "GET " + GatewayMetricsHandler.HEALTH_PATH,
                        "GET " + GatewayMetricsHandler.READY_PATH);
    }
}
