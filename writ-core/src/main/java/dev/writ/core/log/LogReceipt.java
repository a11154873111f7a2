package dev.writ.core.log;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * Proof that an entry is in the log: its leaf index, the RFC 9162 inclusion proof and the signed checkpoint whose
 * tree contains it. A receipt is a claim until {@link #verify} checks it offline against the entry and the log key.
 *
 * <p>JSON form ({@link #toJson}): {@code {"index":N,"proof":["<base64>",...],"checkpoint":"<signed note text>"}}.
 *
 * @param index the leaf index of the entry
 * @param proof the inclusion proof hashes, leaf to root
 * @param checkpoint the signed checkpoint note (UTF-8 bytes)
 */
public record LogReceipt(long index, List<byte[]> proof, byte[] checkpoint) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public LogReceipt {
        if (index < 0) {
            throw new IllegalArgumentException("index must not be negative");
        }
        List<byte[]> copy = new ArrayList<>(proof.size());
        for (byte[] p : proof) {
            copy.add(p.clone());
        }
        proof = List.copyOf(copy);
        checkpoint = checkpoint.clone();
    }

    @Override
    public List<byte[]> proof() {
        return proof.stream().map(byte[]::clone).toList();
    }

    @Override
    public byte[] checkpoint() {
        return checkpoint.clone();
    }

    /**
     * Verifies that {@code entry} is leaf {@link #index} of the tree the checkpoint commits to, and that the log key
     * signed that checkpoint.
     *
     * @throws LogVerificationException with a {@code note.*}, {@code checkpoint.*} or {@code proof.inclusion.*} code
     */
    public VerifiedLogReceipt verify(byte[] entry, NoteVerifier logKey) throws LogVerificationException {
        Checkpoint.Verified cp = Checkpoint.verify(checkpoint, logKey);
        byte[] leaf = Merkle.leafHash(entry);
        Merkle.verifyInclusion(
                index, cp.checkpoint().size(), leaf, proof, cp.checkpoint().rootHash());
        return new VerifiedLogReceipt(index, leaf, cp);
    }

    /** The receipt as a JSON object. */
    public ObjectNode toJson() {
        ObjectNode o = JSON.createObjectNode();
        o.put("index", index);
        ArrayNode a = o.putArray("proof");
        for (byte[] p : proof) {
            a.add(Base64.getEncoder().encodeToString(p));
        }
        o.put("checkpoint", new String(checkpoint, StandardCharsets.UTF_8));
        return o;
    }

    /**
     * Reads a receipt from its JSON form.
     *
     * @throws LogVerificationException {@code receipt.malformed} when a field is missing or of the wrong type
     */
    public static LogReceipt fromJson(JsonNode json) throws LogVerificationException {
        if (json == null
                || !json.isObject()
                || !json.path("index").canConvertToExactIntegral()
                || !json.path("proof").isArray()
                || !json.path("checkpoint").isTextual()) {
            throw new LogVerificationException("receipt.malformed", "receipt needs index, proof and checkpoint");
        }
        long index = json.get("index").asLong();
        if (index < 0) {
            throw new LogVerificationException("receipt.malformed", "receipt index is negative");
        }
        List<byte[]> proof = new ArrayList<>();
        for (JsonNode h : json.get("proof")) {
            try {
                if (!h.isTextual()) {
                    throw new IllegalArgumentException();
                }
                proof.add(Base64.getDecoder().decode(h.asText()));
            } catch (IllegalArgumentException e) {
                throw new LogVerificationException("receipt.malformed", "receipt proof hash is not base64");
            }
        }
        return new LogReceipt(index, proof, json.get("checkpoint").asText().getBytes(StandardCharsets.UTF_8));
    }
}
