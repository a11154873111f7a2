package dev.writ.core.scope;

import static dev.writ.core.scope.ScopeJsonTest.EXAMPLE;
import static dev.writ.core.scope.ScopeJsonTest.edit;
import static dev.writ.core.scope.ScopeJsonTest.parse;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.core.action.ActionRequest;
import dev.writ.core.action.Classification;
import java.time.Instant;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class ScopeCheckTest {
    /** Tuesday 2026-11-24 10:00 in Berlin (CET, UTC+1). */
    static final Instant TUESDAY_10_BERLIN = Instant.parse("2026-11-24T09:00:00Z");

    static final Scope SCOPE = parse(EXAMPLE);

    static ActionRequest action(String name, Classification c, Consumer<ObjectNode> params) {
        ObjectNode p = JsonNodeFactory.instance.objectNode();
        p.put("amount", 50000)
                .put("currency", "EUR")
                .put("counterparty", "vendor-y")
                .put("region", "eu-west-1");
        params.accept(p);
        return new ActionRequest(name, "https://pay.example/transfers", p, c, null);
    }

    static ActionRequest transfer(Consumer<ObjectNode> params) {
        return action("payments.transfer", Classification.INTERNAL, params);
    }

    static void assertViolation(Scope s, ActionRequest a, Instant at, String code) {
        assertThatThrownBy(() -> s.check(a, at))
                .isInstanceOf(ScopeViolation.class)
                .extracting(e -> ((ScopeViolation) e).code())
                .isEqualTo(code);
    }

    @Test
    void permitsAnActionInsideEveryDimension() {
        assertThatCode(() -> SCOPE.check(transfer(p -> {}), TUESDAY_10_BERLIN)).doesNotThrowAnyException();
        assertThatCode(() -> SCOPE.check(
                        action("erp.purchase_order.create", Classification.CONFIDENTIAL, p -> p.remove("amount")),
                        TUESDAY_10_BERLIN))
                .doesNotThrowAnyException();
        // The limit is inclusive, and the window starts at 08:00 sharp (07:00Z in winter).
        assertThatCode(() ->
                        SCOPE.check(transfer(p -> p.put("amount", 1000000)), Instant.parse("2026-11-24T07:00:00Z")))
                .doesNotThrowAnyException();
        assertThatCode(() -> SCOPE.check(transfer(p -> p.put("amount", 0).put("currency", "USD")), TUESDAY_10_BERLIN))
                .doesNotThrowAnyException();
    }

    @Test
    void action() {
        assertViolation(
                SCOPE,
                action("erp.purchase_order.delete", Classification.PUBLIC, p -> {}),
                TUESDAY_10_BERLIN,
                "scope.action");
        // payments.* does not cover "payments" itself.
        assertViolation(SCOPE, action("payments", Classification.PUBLIC, p -> {}), TUESDAY_10_BERLIN, "scope.action");
        Scope any = parse(edit(o -> o.putArray("actions").add("*")));
        // Even "*" never matches a malformed name.
        assertViolation(
                any, action("payments..transfer", Classification.PUBLIC, p -> {}), TUESDAY_10_BERLIN, "scope.action");
        assertViolation(any, action("", Classification.PUBLIC, p -> {}), TUESDAY_10_BERLIN, "scope.action");
        assertViolation(any, action("a.*", Classification.PUBLIC, p -> {}), TUESDAY_10_BERLIN, "scope.action");
    }

    @Test
    void currency() {
        assertViolation(SCOPE, transfer(p -> p.put("currency", "GBP")), TUESDAY_10_BERLIN, "scope.currency");
        assertViolation(SCOPE, transfer(p -> p.put("currency", "eur")), TUESDAY_10_BERLIN, "scope.currency");
        assertViolation(SCOPE, transfer(p -> p.remove("currency")), TUESDAY_10_BERLIN, "scope.currency");
        Scope noLimits = parse(edit(o -> o.putObject("limits")));
        assertViolation(noLimits, transfer(p -> p.put("amount", 0)), TUESDAY_10_BERLIN, "scope.currency");
    }

    @Test
    void amount() {
        assertViolation(SCOPE, transfer(p -> p.put("amount", 1000001)), TUESDAY_10_BERLIN, "scope.amount");
        assertViolation(SCOPE, transfer(p -> p.put("amount", -1)), TUESDAY_10_BERLIN, "scope.amount");
        assertViolation(SCOPE, transfer(p -> p.put("amount", 10.5)), TUESDAY_10_BERLIN, "scope.amount");
        assertViolation(SCOPE, transfer(p -> p.put("amount", "100")), TUESDAY_10_BERLIN, "scope.amount");
        assertViolation(SCOPE, transfer(p -> p.put("currency", 978)), TUESDAY_10_BERLIN, "scope.amount");
    }

    @Test
    void counterparty() {
        assertViolation(
                SCOPE, transfer(p -> p.put("counterparty", "vendor-z")), TUESDAY_10_BERLIN, "scope.counterparty");
        assertViolation(SCOPE, transfer(p -> p.remove("counterparty")), TUESDAY_10_BERLIN, "scope.counterparty");
        assertViolation(SCOPE, transfer(p -> p.put("counterparty", "*")), TUESDAY_10_BERLIN, "scope.counterparty");
        assertViolation(SCOPE, transfer(p -> p.put("counterparty", 7)), TUESDAY_10_BERLIN, "scope.counterparty");
        Scope any = parse(edit(o -> o.putArray("counterparties").add("*")));
        assertThatCode(() -> any.check(transfer(p -> p.remove("counterparty")), TUESDAY_10_BERLIN))
                .doesNotThrowAnyException();
    }

    @Test
    void region() {
        assertViolation(SCOPE, transfer(p -> p.put("region", "us-east-1")), TUESDAY_10_BERLIN, "scope.region");
        assertViolation(SCOPE, transfer(p -> p.remove("region")), TUESDAY_10_BERLIN, "scope.region");
        Scope any = parse(edit(o -> o.putArray("regions").add("*")));
        assertThatCode(() -> any.check(transfer(p -> p.put("region", "us-east-1")), TUESDAY_10_BERLIN))
                .doesNotThrowAnyException();
    }

    @Test
    void classification() {
        assertViolation(
                SCOPE,
                action("payments.transfer", Classification.RESTRICTED, p -> {}),
                TUESDAY_10_BERLIN,
                "scope.classification");
    }

    @Test
    void hours() {
        // 07:59 Berlin, one minute before the window.
        assertViolation(SCOPE, transfer(p -> {}), Instant.parse("2026-11-24T06:59:00Z"), "scope.hours");
        // 18:00 Berlin: the end is exclusive.
        assertViolation(SCOPE, transfer(p -> {}), Instant.parse("2026-11-24T17:00:00Z"), "scope.hours");
        // Saturday.
        assertViolation(SCOPE, transfer(p -> {}), Instant.parse("2026-11-28T09:00:00Z"), "scope.hours");
        // Summer time: 08:00 Berlin is 06:00Z.
        assertThatCode(() -> SCOPE.check(transfer(p -> {}), Instant.parse("2026-07-07T06:00:00Z")))
                .doesNotThrowAnyException();
        assertViolation(SCOPE, transfer(p -> {}), Instant.parse("2026-07-07T05:59:59Z"), "scope.hours");
        Scope never = parse(edit(o -> o.put("hours", "never")));
        assertViolation(never, transfer(p -> {}), TUESDAY_10_BERLIN, "scope.hours");
        Scope always = parse(edit(o -> o.put("hours", "*")));
        assertThatCode(() -> always.check(transfer(p -> {}), Instant.parse("2026-11-28T03:00:00Z")))
                .doesNotThrowAnyException();
    }

    @Test
    void windowsInSeveralZonesMustAllHold() {
        Scope berlin = SCOPE;
        Scope newYork = parse(edit(o -> ((ObjectNode) o.get("hours"))
                .put("tz", "America/New_York")
                .put("start", 9 * 60)
                .put("end", 17 * 60)));
        Scope both = berlin.intersect(newYork);
        // 15:00 Berlin = 09:00 New York: inside both.
        assertThatCode(() -> both.check(transfer(p -> {}), Instant.parse("2026-11-24T14:00:00Z")))
                .doesNotThrowAnyException();
        // 10:00 Berlin = 04:00 New York: inside Berlin only.
        assertViolation(both, transfer(p -> {}), TUESDAY_10_BERLIN, "scope.hours");
        // 19:00 Berlin = 13:00 New York: inside New York only.
        assertViolation(both, transfer(p -> {}), Instant.parse("2026-11-24T18:00:00Z"), "scope.hours");
    }

    @Test
    void dimensionsAreCheckedInTheDocumentedOrder() {
        ActionRequest everythingWrong = action("erp.other", Classification.RESTRICTED, p -> p.put("currency", "GBP")
                .put("amount", -5)
                .put("counterparty", "x")
                .put("region", "y"));
        assertViolation(SCOPE, everythingWrong, Instant.EPOCH, "scope.action");
        assertViolation(
                SCOPE,
                transfer(p -> p.put("currency", "GBP").put("counterparty", "x")),
                Instant.EPOCH,
                "scope.currency");
        assertViolation(
                SCOPE, transfer(p -> p.put("amount", -5).put("counterparty", "x")), Instant.EPOCH, "scope.amount");
        assertViolation(
                SCOPE,
                transfer(p -> p.put("counterparty", "x").put("region", "y")),
                Instant.EPOCH,
                "scope.counterparty");
        assertViolation(
                SCOPE,
                action("payments.transfer", Classification.RESTRICTED, p -> p.put("region", "y")),
                Instant.EPOCH,
                "scope.region");
        assertViolation(
                SCOPE,
                action("payments.transfer", Classification.RESTRICTED, p -> {}),
                Instant.EPOCH,
                "scope.classification");
    }
}
