package dev.writ.server.cluster;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.server.api.Router;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /readyz} that names each backend check: {@code 200 {"status":"ready","checks":{"postgresql":"ok",...}}}
 * when every check passes, else {@code 503} with the failing checks marked {@code "failed"} and the usual error
 * object ({@code server.not_ready}). A check that throws or takes longer than its timeout has failed (fail closed: a
 * node that cannot tell whether its backends work is not ready). Causes go to the server log, never to the body.
 */
public final class Readiness {
    private static final Logger LOG = LoggerFactory.getLogger(Readiness.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One backend check; returning normally means healthy. */
    @FunctionalInterface
    public interface Check {
        void run() throws Exception;
    }

    private final Map<String, Check> checks = new LinkedHashMap<>();
    private final long timeoutMillis;

    /** @param timeoutMillis how long one check may take before it counts as failed */
    public Readiness(long timeoutMillis) {
        if (timeoutMillis <= 0) {
            throw new IllegalArgumentException("timeoutMillis must be positive");
        }
        this.timeoutMillis = timeoutMillis;
    }

    /** Adds a named check ({@code postgresql}, {@code redis}, {@code log}). */
    public synchronized Readiness add(String name, Check check) {
        checks.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(check, "check"));
        return this;
    }

    /** Runs every check (concurrently) and returns name → passed, in the order they were added. */
    public Map<String, Boolean> evaluate() {
        Map<String, CompletableFuture<Void>> running = new LinkedHashMap<>();
        Map<String, Check> snapshot;
        synchronized (this) {
            snapshot = new LinkedHashMap<>(checks);
        }
        snapshot.forEach((name, check) -> running.put(name, CompletableFuture.runAsync(() -> {
            try {
                check.run();
            } catch (Exception e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        })));
        Map<String, Boolean> out = new LinkedHashMap<>();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        running.forEach((name, f) -> {
            try {
                f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                out.put(name, true);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                out.put(name, false);
            } catch (ExecutionException e) {
                LOG.warn("readiness check {} failed: {}", name, String.valueOf(e.getCause()));
                out.put(name, false);
            } catch (TimeoutException e) {
                LOG.warn("readiness check {} timed out after {} ms", name, timeoutMillis);
                f.cancel(true);
                out.put(name, false);
            }
        });
        return out;
    }

    /** Whether every check passes now. */
    public boolean ready() {
        return !evaluate().containsValue(false);
    }

    /** The handler for {@code GET /readyz}; mount it at {@code /readyz}. */
    public Router router() {
        return new Router().get("/readyz", ex -> {
            Map<String, Boolean> results = evaluate();
            boolean ready = !results.containsValue(false);
            ObjectNode body = JSON.createObjectNode();
            body.put("status", ready ? "ready" : "not_ready");
            ObjectNode named = body.putObject("checks");
            results.forEach((name, ok) -> named.put(name, ok ? "ok" : "failed"));
            if (!ready) {
                ObjectNode error = body.putObject("error");
                error.put("code", "server.not_ready");
                error.put(
                        "message",
                        "not ready: "
                                + String.join(
                                        ", ",
                                        results.entrySet().stream()
                                                .filter(e -> !e.getValue())
                                                .map(Map.Entry::getKey)
                                                .toList())
                                + " failed");
            }
            ex.json(ready ? 200 : 503, body);
        });
    }
}
