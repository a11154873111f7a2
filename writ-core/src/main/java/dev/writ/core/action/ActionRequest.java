package dev.writ.core.action;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Objects;
import java.util.Optional;

/**
 * What an agent proposes to do: the action name, its parameters, the data classification it touches, the target and,
 * when the action is an HTTP call, the exact request. This is the {@code act} claim of an envelope and the input of
 * the scope check and of the policy decision.
 *
 * <p>Well-known parameters read by the scope check: {@code amount} (integer, minor units), {@code currency} (ISO 4217),
 * {@code counterparty}, {@code region}. Amounts are never floating point.
 *
 * @param name action name such as {@code payments.transfer}
 * @param target the target API endpoint or service (the envelope's {@code sub})
 * @param params action parameters; defensively deep-copied in and out
 * @param classification the data classification the action touches
 * @param http the exact HTTP request, or {@code null} when the action is not an HTTP call
 */
public record ActionRequest(
        String name, String target, ObjectNode params, Classification classification, HttpBinding http) {

    public ActionRequest {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(params, "params");
        Objects.requireNonNull(classification, "classification");
        params = params.deepCopy();
    }

    @Override
    public ObjectNode params() {
        return params.deepCopy();
    }

    /** The {@code amount} parameter when present and integral; empty when absent. */
    public Optional<Long> amount() {
        JsonNode n = params.get("amount");
        if (n == null || n.isNull()) {
            return Optional.empty();
        }
        if (!n.isIntegralNumber() || !n.canConvertToLong()) {
            throw new IllegalArgumentException("amount must be an integer in minor units");
        }
        return Optional.of(n.longValue());
    }

    /** The {@code currency} parameter (ISO 4217 code) when present. */
    public Optional<String> currency() {
        return text("currency");
    }

    /** The {@code counterparty} parameter when present. */
    public Optional<String> counterparty() {
        return text("counterparty");
    }

    /** The {@code region} parameter when present. */
    public Optional<String> region() {
        return text("region");
    }

    private Optional<String> text(String field) {
        JsonNode n = params.get(field);
        if (n == null || n.isNull()) {
            return Optional.empty();
        }
        if (!n.isTextual()) {
            throw new IllegalArgumentException(field + " must be a string");
        }
        return Optional.of(n.textValue());
    }
}
