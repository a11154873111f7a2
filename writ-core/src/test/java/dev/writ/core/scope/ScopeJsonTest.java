package dev.writ.core.scope;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.core.action.Classification;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ScopeJsonTest {
    static final String EXAMPLE =
            """
            {
              "actions": ["payments.*", "erp.purchase_order.create"],
              "limits": {"EUR": 1000000, "USD": 500000},
              "counterparties": ["vendor-y"],
              "regions": ["eu-west-1"],
              "hours": {"tz": "Europe/Berlin", "days": ["mon","tue","wed","thu","fri"], "start": 480, "end": 1080},
              "classification": "confidential",
              "delegation": 2
            }
            """;

    private static final ObjectMapper MAPPER = new ObjectMapper();

    static String edit(Consumer<ObjectNode> change) {
        try {
            ObjectNode o = (ObjectNode) MAPPER.readTree(EXAMPLE);
            change.accept(o);
            return MAPPER.writeValueAsString(o);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    static Scope parse(String json) {
        try {
            return Scope.parseJson(json);
        } catch (ScopeException e) {
            throw new AssertionError(e.code() + ": " + e.getMessage(), e);
        }
    }

    @Test
    void parsesTheJavadocExample() {
        Scope s = parse(EXAMPLE);
        assertThat(s.actions()).containsExactly("erp.purchase_order.create", "payments.*");
        assertThat(s.limits())
                .containsExactly(java.util.Map.entry("EUR", 1000000L), java.util.Map.entry("USD", 500000L));
        assertThat(s.counterparties()).containsExactly("vendor-y");
        assertThat(s.regions()).containsExactly("eu-west-1");
        assertThat(s.hours().windows()).hasSize(1);
        assertThat(s.hours().windows().get(0).start()).isEqualTo(480);
        assertThat(s.classification()).isEqualTo(Classification.CONFIDENTIAL);
        assertThat(s.delegationDepth()).isEqualTo(2);
    }

    @Test
    void toJsonIsCanonicalAndRoundTrips() {
        Scope s = parse(EXAMPLE);
        assertThat(s.toJson())
                .isEqualTo(
                        "{\"actions\":[\"erp.purchase_order.create\",\"payments.*\"],\"classification\":"
                                + "\"confidential\",\"counterparties\":[\"vendor-y\"],\"delegation\":2,\"hours\":{\"days\":"
                                + "[\"mon\",\"tue\",\"wed\",\"thu\",\"fri\"],\"end\":1080,\"start\":480,\"tz\":"
                                + "\"Europe/Berlin\"},\"limits\":{\"EUR\":1000000,\"USD\":500000},\"regions\":[\"eu-west-1\"]}");
        assertThat(parse(s.toJson())).isEqualTo(s);
        assertThat(parse(s.toJson()).toJson()).isEqualTo(s.toJson());
    }

    @Test
    void normalisesSubsumedPatternsAndWildcards() {
        Scope s = parse(edit(o -> {
            o.putArray("actions")
                    .add("payments.transfer")
                    .add("payments.*")
                    .add("payments.refund.*")
                    .add("erp.x");
            o.putArray("counterparties").add("a").add("*").add("b");
            o.putArray("regions").add("z").add("a").add("z");
        }));
        assertThat(s.actions()).containsExactly("erp.x", "payments.*");
        assertThat(s.counterparties()).containsExactly("*");
        assertThat(s.regions()).containsExactly("a", "z");
        assertThat(parse(edit(o -> o.putArray("actions").add("a.b").add("*"))).actions())
                .containsExactly("*");
    }

    @Test
    void acceptsAnyNeverAndSeveralWindows() {
        assertThat(parse(edit(o -> o.put("hours", "*"))).hours().isAny()).isTrue();
        assertThat(parse(edit(o -> o.put("hours", "never"))).hours().isNever()).isTrue();
        String two = EXAMPLE.replace(
                "\"hours\": {\"tz\": \"Europe/Berlin\", \"days\": [\"mon\",\"tue\",\"wed\",\"thu\",\"fri\"], \"start\": 480, \"end\": 1080}",
                "\"hours\": [{\"tz\": \"Europe/Berlin\", \"days\": [\"mon\",\"tue\"], \"start\": 480, \"end\": 1080},"
                        + " {\"tz\": \"America/New_York\", \"days\": [\"mon\"], \"start\": 0, \"end\": 600},"
                        + " {\"tz\": \"Europe/Berlin\", \"days\": [\"tue\",\"wed\"], \"start\": 540, \"end\": 1440}]");
        assertThat(two).isNotEqualTo(EXAMPLE);
        Scope s = parse(two);
        // Same-zone windows merge (common days, later start, earlier end); zones are sorted.
        assertThat(s.hours().windows())
                .extracting(w -> w.zone().getId())
                .containsExactly("America/New_York", "Europe/Berlin");
        assertThat(s.hours().windows().get(1).days()).containsExactly(java.time.DayOfWeek.TUESDAY);
        assertThat(s.hours().windows().get(1).start()).isEqualTo(540);
        assertThat(s.hours().windows().get(1).end()).isEqualTo(1080);
        assertThat(s.toJson()).contains("\"hours\":[{");
        assertThat(parse(s.toJson())).isEqualTo(s);
        // A merge that leaves nothing is "never".
        String disjoint = two.replace("[\"tue\",\"wed\"]", "[\"wed\"]");
        assertThat(parse(disjoint).hours().isNever()).isTrue();
    }

    static Stream<Arguments> rejections() {
        return Stream.of(
                Arguments.of("", "scope.empty"),
                Arguments.of("   ", "scope.empty"),
                Arguments.of("{}", "scope.empty"),
                Arguments.of("[]", "scope.malformed"),
                Arguments.of("{\"actions\":", "scope.malformed"),
                Arguments.of(EXAMPLE + " {}", "scope.malformed"),
                Arguments.of(
                        EXAMPLE.replace("\"delegation\": 2", "\"delegation\": 2, \"delegation\": 1"),
                        "scope.malformed"),
                Arguments.of(edit(o -> o.put("extra", 1)), "scope.unknown_field"),
                Arguments.of(edit(o -> ((ObjectNode) o.get("hours")).put("tzz", "x")), "scope.unknown_field"),
                Arguments.of(edit(o -> o.remove("actions")), "scope.missing_dimension"),
                Arguments.of(edit(o -> o.remove("limits")), "scope.missing_dimension"),
                Arguments.of(edit(o -> o.remove("counterparties")), "scope.missing_dimension"),
                Arguments.of(edit(o -> o.remove("regions")), "scope.missing_dimension"),
                Arguments.of(edit(o -> o.remove("hours")), "scope.missing_dimension"),
                Arguments.of(edit(o -> o.remove("classification")), "scope.missing_dimension"),
                Arguments.of(edit(o -> o.remove("delegation")), "scope.missing_dimension"),
                Arguments.of(edit(o -> o.put("actions", "*")), "scope.malformed"),
                Arguments.of(edit(o -> o.putArray("actions").add(1)), "scope.malformed"),
                Arguments.of(edit(o -> o.putArray("actions").add("payments.*.create")), "scope.action_invalid"),
                Arguments.of(edit(o -> o.putArray("actions").add("payments*")), "scope.action_invalid"),
                Arguments.of(edit(o -> o.putArray("actions").add("payments..x")), "scope.action_invalid"),
                Arguments.of(edit(o -> o.putArray("actions").add("")), "scope.action_invalid"),
                Arguments.of(edit(o -> o.putArray("actions").add(".*")), "scope.action_invalid"),
                Arguments.of(edit(o -> o.putArray("actions").add("pay ments")), "scope.action_invalid"),
                Arguments.of(edit(o -> o.putNull("counterparties")), "scope.malformed"),
                Arguments.of(edit(o -> o.putArray("counterparties").add("vendor*")), "scope.malformed"),
                Arguments.of(edit(o -> o.putArray("regions").add("eu west")), "scope.malformed"),
                Arguments.of(edit(o -> o.putArray("regions").add("")), "scope.malformed"),
                Arguments.of(edit(o -> o.put("limits", 5)), "scope.malformed"),
                Arguments.of(edit(o -> o.putObject("limits").put("eur", 1)), "scope.currency_unknown"),
                Arguments.of(edit(o -> o.putObject("limits").put("EURO", 1)), "scope.currency_unknown"),
                Arguments.of(edit(o -> o.putObject("limits").put("ZZZ", 1)), "scope.currency_unknown"),
                Arguments.of(edit(o -> o.putObject("limits").put("*", 1)), "scope.currency_unknown"),
                Arguments.of(edit(o -> o.putObject("limits").put("EUR", -1)), "scope.limit_negative"),
                Arguments.of(edit(o -> o.putObject("limits").put("EUR", 1.5)), "scope.limit_invalid"),
                Arguments.of(edit(o -> o.putObject("limits").put("EUR", 1.0)), "scope.limit_invalid"),
                Arguments.of(edit(o -> o.putObject("limits").put("EUR", "100")), "scope.limit_invalid"),
                Arguments.of(edit(o -> o.putObject("limits").put("EUR", 1L << 53)), "scope.limit_invalid"),
                Arguments.of(EXAMPLE.replace("1000000", "1e6"), "scope.limit_invalid"),
                Arguments.of(EXAMPLE.replace("1000000", "-99999999999999999999999"), "scope.limit_negative"),
                Arguments.of(edit(o -> o.put("hours", "always")), "scope.hours_invalid"),
                Arguments.of(edit(o -> o.putArray("hours")), "scope.hours_invalid"),
                Arguments.of(edit(o -> o.put("hours", 5)), "scope.hours_invalid"),
                Arguments.of(edit(o -> hours(o).put("tz", "Mars/Olympus")), "scope.timezone_unknown"),
                Arguments.of(edit(o -> hours(o).put("tz", "+01:00")), "scope.timezone_unknown"),
                Arguments.of(edit(o -> hours(o).put("tz", "UTC+1")), "scope.timezone_unknown"),
                Arguments.of(edit(o -> hours(o).put("tz", 1)), "scope.timezone_unknown"),
                Arguments.of(edit(o -> hours(o).remove("tz")), "scope.hours_invalid"),
                Arguments.of(edit(o -> hours(o).remove("days")), "scope.hours_invalid"),
                Arguments.of(edit(o -> hours(o).remove("start")), "scope.hours_invalid"),
                Arguments.of(edit(o -> hours(o).remove("end")), "scope.hours_invalid"),
                Arguments.of(edit(o -> hours(o).putArray("days")), "scope.hours_invalid"),
                Arguments.of(edit(o -> hours(o).putArray("days").add("monday")), "scope.hours_invalid"),
                Arguments.of(edit(o -> hours(o).putArray("days").add("Mon")), "scope.hours_invalid"),
                Arguments.of(edit(o -> hours(o).putArray("days").add("mon").add("mon")), "scope.hours_invalid"),
                Arguments.of(edit(o -> hours(o).put("start", -1)), "scope.hours_invalid"),
                Arguments.of(edit(o -> hours(o).put("start", 1440)), "scope.hours_invalid"),
                Arguments.of(edit(o -> hours(o).put("end", 1441)), "scope.hours_invalid"),
                Arguments.of(edit(o -> hours(o).put("end", 480)), "scope.hours_invalid"),
                Arguments.of(edit(o -> hours(o).put("start", 480.5)), "scope.hours_invalid"),
                Arguments.of(edit(o -> o.put("classification", "secret")), "scope.classification_unknown"),
                Arguments.of(edit(o -> o.put("classification", "PUBLIC")), "scope.classification_unknown"),
                Arguments.of(edit(o -> o.put("classification", 1)), "scope.classification_unknown"),
                Arguments.of(edit(o -> o.put("delegation", -1)), "scope.delegation_invalid"),
                Arguments.of(edit(o -> o.put("delegation", 256)), "scope.delegation_invalid"),
                Arguments.of(edit(o -> o.put("delegation", 1.5)), "scope.delegation_invalid"),
                Arguments.of(edit(o -> o.put("delegation", "2")), "scope.delegation_invalid"),
                Arguments.of(
                        edit(o -> {
                            var a = o.putArray("actions");
                            for (int i = 0; i < 1025; i++) {
                                a.add("a" + i);
                            }
                        }),
                        "scope.too_large"),
                Arguments.of(" ".repeat(70_000) + EXAMPLE, "scope.too_large"));
    }

    private static ObjectNode hours(ObjectNode o) {
        return (ObjectNode) o.get("hours");
    }

    @ParameterizedTest(name = "{1} <- {0}")
    @MethodSource("rejections")
    void rejects(String json, String code) {
        assertThatThrownBy(() -> Scope.parseJson(json))
                .isInstanceOf(ScopeException.class)
                .extracting(e -> ((ScopeException) e).code())
                .isEqualTo(code);
    }

    @Test
    void rejectsNull() {
        assertThatThrownBy(() -> Scope.parseJson(null))
                .isInstanceOf(ScopeException.class)
                .extracting(e -> ((ScopeException) e).code())
                .isEqualTo("scope.empty");
    }

    @Test
    void emptyListsPermitNothingButAreValid() {
        Scope s = parse(edit(o -> {
            o.putArray("actions");
            o.putObject("limits");
            o.putArray("counterparties");
            o.putArray("regions");
        }));
        assertThat(s.actions()).isEmpty();
        assertThat(s.permitsAction("payments.transfer")).isFalse();
        assertThat(parse(s.toJson())).isEqualTo(s);
    }

    @Test
    void readsAndWritesTrees() throws Exception {
        Scope s = parse(EXAMPLE);
        assertThat(Scope.fromJson(MAPPER.readTree(EXAMPLE))).isEqualTo(s);
        assertThat(Scope.fromJson(s.toJsonNode())).isEqualTo(s);
        ObjectNode tree = s.toJsonNode();
        tree.put("delegation", 9);
        assertThat(s.delegationDepth()).isEqualTo(2);
        assertThatThrownBy(() -> Scope.fromJson(null))
                .isInstanceOf(ScopeException.class)
                .extracting(e -> ((ScopeException) e).code())
                .isEqualTo("scope.empty");
        assertThatThrownBy(() -> Scope.fromJson(MAPPER.readTree("[1]")))
                .isInstanceOf(ScopeException.class)
                .extracting(e -> ((ScopeException) e).code())
                .isEqualTo("scope.malformed");
    }
}
