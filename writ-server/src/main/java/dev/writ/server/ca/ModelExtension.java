package dev.writ.server.ca;

/** Bridges the stored model description to the DER value of the model extension. */
final class ModelExtension {
    private ModelExtension() {}

    /** The DER value of the {@code id-writ-ce-model} extension, or null when the agent has no model. */
    static byte[] der(String modelJson) {
        // The model extension's encoder lives with the scope and extension helpers; until it is wired in,
        // certificates carry no model extension and the model is kept with the agent record.
        return null;
    }
}
