package dev.writ.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.writ.core.action.Classification;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The route map: strict parsing (each refusal names the line) and matching. */
class RouteMapTest {
    static final String GOOD =
            """
            # procurement API
            routes:
              - method: POST
                path: /orders
                action: erp.purchase_order.create
                target: https://erp.example
                classification: internal
                params:
                  amount: /amount
                  currency: {body: /currency}
                  counterparty: /vendor/id
                  channel: {const: gateway}
              - method: GET
                path: /orders/{id}/lines/{line}
                action: erp.order.read
                classification: confidential
                params:
                  order: {path: id}
            """;

    static RouteMap parse(String yaml) throws RouteMapException {
        return RouteMap.parse(yaml, "routes.yaml");
    }

    @Test
    void parsesRoutesAndTheirSources() throws Exception {
        RouteMap map = parse(GOOD);
        assertThat(map.routes()).hasSize(2);
        RouteMap.Route r = map.routes().get(0);
        assertThat(r.line()).isEqualTo(3);
        assertThat(r.method()).isEqualTo("POST");
        assertThat(r.action()).isEqualTo("erp.purchase_order.create");
        assertThat(r.target()).isEqualTo("https://erp.example");
        assertThat(r.classification()).isEqualTo(Classification.INTERNAL);
        assertThat(r.params().keySet()).containsExactly("amount", "currency", "counterparty", "channel");
        assertThat(r.params().get("counterparty"))
                .isEqualTo(new RouteMap.Source.Body(com.fasterxml.jackson.core.JsonPointer.compile("/vendor/id")));
        assertThat(r.readsBody()).isTrue();
        RouteMap.Route g = map.routes().get(1);
        assertThat(g.line()).isEqualTo(13);
        assertThat(g.target()).isNull();
        assertThat(g.readsBody()).isFalse();
    }

    @Test
    void matchesByMethodAndRawPathSegments() throws Exception {
        RouteMap map = parse(GOOD);
        assertThat(map.match("POST", "/orders").orElseThrow().route().action()).isEqualTo("erp.purchase_order.create");
        RouteMap.Match m = map.match("GET", "/orders/o%2D1/lines/7").orElseThrow();
        assertThat(m.pathParams()).isEqualTo(Map.of("id", "o-1", "line", "7"));
        assertThat(map.match("post", "/orders")).isEmpty(); // methods are case-sensitive
        assertThat(map.match("POST", "/orders/")).isEmpty();
        assertThat(map.match("POST", "/Orders")).isEmpty();
        assertThat(map.match("POST", "/%6Frders")).isEmpty(); // literal segments compare raw
        assertThat(map.match("GET", "/orders/1/lines")).isEmpty();
        assertThat(map.match("GET", "/orders/../lines/7")).isEmpty();
        assertThat(map.match("GET", "/orders/%2E%2E/lines/7")).isEmpty();
        assertThat(map.match("GET", "/orders/a%2Fb/lines/7")).isEmpty();
        assertThat(map.match("GET", "/orders//lines/7")).isEmpty();
        assertThat(map.match("GET", "/orders/%zz/lines/7")).isEmpty();
    }

    @Test
    void theExampleInTheGatewayDocsParses() throws Exception {
        String doc = Files.readString(Path.of(System.getProperty("writ.repo.root"), "docs/gateway.md"));
        int start = doc.indexOf("```yaml\nroutes:");
        assertThat(start).as("the route map example in docs/gateway.md").isNotNegative();
        String yaml = doc.substring(start + "```yaml\n".length(), doc.indexOf("```", start + 7));
        RouteMap map = parse(yaml);
        assertThat(map.routes())
                .extracting(RouteMap.Route::action)
                .containsExactly("erp.purchase_order.create", "budget.lookup");
        assertThat(map.match("GET", "/budgets/r%26d").orElseThrow().pathParams())
                .containsEntry("dept", "r&d");
    }

    @Test
    void loadsFromAFile(@TempDir Path dir) throws Exception {
        Path f = Files.writeString(dir.resolve("routes.yaml"), GOOD);
        assertThat(RouteMap.load(f).routes()).hasSize(2);
        assertThatThrownBy(() -> RouteMap.load(dir.resolve("absent.yaml")))
                .isInstanceOf(RouteMapException.class)
                .hasMessageContaining("cannot be read");
    }

    /** Each invalid map is refused with a message naming the line and the problem. */
    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                // unknown key in a route (a typo must not silently change the mapping)
                "routes:\\n  - method: POST\\n    path: /a\\n    action: x\\n    classification: public\\n    clasification: internal|line 2: unknown key 'clasification'",
                // unknown top-level key
                "routes: []\\nextra: 1|line 2: unknown key 'extra'",
                // a pointer must start with /
                "routes:\\n  - method: POST\\n    path: /a\\n    action: x\\n    classification: public\\n    params:\\n      amount: amount|line 2: params.amount: 'amount' is not a JSON pointer",
                // bad pointer escape
                "routes:\\n  - method: POST\\n    path: /a\\n    action: x\\n    classification: public\\n    params:\\n      amount: {body: /a~2}|line 2: params.amount: '/a~2' is not a valid JSON pointer",
                // path param not declared
                "routes:\\n  - method: GET\\n    path: /a/{id}\\n    action: x\\n    classification: public\\n    params:\\n      o: {path: other}|line 2: params.o: path must name a {parameter}",
                // unknown source
                "routes:\\n  - method: GET\\n    path: /a\\n    action: x\\n    classification: public\\n    params:\\n      o: {header: X}|line 2: params.o: unknown source 'header'",
                // float constant
                "routes:\\n  - method: GET\\n    path: /a\\n    action: x\\n    classification: public\\n    params:\\n      o: {const: 1.5}|line 2: params.o: const must be",
                // duplicate route
                "routes:\\n  - method: GET\\n    path: /a\\n    action: x\\n    classification: public\\n  - method: GET\\n    path: /a\\n    action: y\\n    classification: public|line 6: route GET /a overlaps the route on line 2",
                // overlapping route
                "routes:\\n  - method: GET\\n    path: /a/{id}\\n    action: x\\n    classification: public\\n  - method: GET\\n    path: /a/new\\n    action: y\\n    classification: public|line 6: route GET /a/new overlaps the route on line 2",
                // duplicate key (YAML would otherwise keep the last)
                "routes:\\n  - method: GET\\n    path: /a\\n    path: /b\\n    action: x\\n    classification: public|line 4: Duplicate field 'path'",
                // missing required key
                "routes:\\n  - method: GET\\n    path: /a\\n    classification: public|line 2: 'action' is required",
                // bad classification
                "routes:\\n  - method: GET\\n    path: /a\\n    action: x\\n    classification: secret|line 2: unknown classification",
                // lower-case method
                "routes:\\n  - method: get\\n    path: /a\\n    action: x\\n    classification: public|line 2: method must be an upper-case HTTP method",
                // dot segment in a template
                "routes:\\n  - method: GET\\n    path: /a/../b\\n    action: x\\n    classification: public|line 2: path must not contain empty, . or .. segments",
                // partial parameter segment
                "routes:\\n  - method: GET\\n    path: /a/x{id}\\n    action: x\\n    classification: public|line 2: a path parameter must be a whole segment",
                // no routes key
                "other: 1|line 1: unknown key 'other'",
                // routes not a list
                "routes: 5|line 1: 'routes' must be a list",
            })
    void refusesInvalidMapsNamingTheLine(String yaml, String message) {
        assertThatThrownBy(() -> parse(yaml.replace("\\n", "\n")))
                .isInstanceOf(RouteMapException.class)
                .hasMessageContaining("routes.yaml")
                .hasMessageContaining(message);
    }

    @Test
    void refusesAMapWithoutRoutesAndNonMappings() {
        assertThatThrownBy(() -> parse("- a\n- b\n")).isInstanceOf(RouteMapException.class);
        assertThatThrownBy(() -> parse("{}\n")).hasMessageContaining("a 'routes' list is required");
        assertThatThrownBy(() -> parse("routes:\n  - 5\n")).hasMessageContaining("line 2: a route must be a mapping");
    }
}
