package dev.writ.server.ca;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.core.cert.ModelInfo;
import java.util.HexFormat;
import java.util.Optional;

/** Converts the model description of the HTTP API ({@code {digest, name, version, sbom?}}) to {@link ModelInfo}. */
final class ModelExtension {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ModelExtension() {}

    /**
     * The model of a stored or requested JSON description; empty for null.
     *
     * @throws IllegalArgumentException when a field is missing or out of range
     */
    static Optional<ModelInfo> model(String modelJson) {
        if (modelJson == null) {
            return Optional.empty();
        }
        try {
            JsonNode m = JSON.readTree(modelJson);
            String digest = m.path("digest").asText("");
            if (!digest.matches("sha256:[0-9a-f]{64}")) {
                throw new IllegalArgumentException("model.digest must be sha256:<64 hex>");
            }
            return Optional.of(new ModelInfo(
                    HexFormat.of().parseHex(digest.substring(7)),
                    m.path("name").asText(""),
                    m.path("version").asText(""),
                    m.hasNonNull("sbom") ? Optional.of(m.get("sbom").asText()) : Optional.empty()));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("model is not JSON");
        }
    }
}
