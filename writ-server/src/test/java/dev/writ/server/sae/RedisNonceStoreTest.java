package dev.writ.server.sae;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.writ.core.nonce.NonceStore;
import dev.writ.core.nonce.NonceStoreContract;
import dev.writ.core.nonce.NonceStoreException;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The nonce store contract against a real {@code redis-server} on a free loopback port. */
class RedisNonceStoreTest extends NonceStoreContract {
    static RedisProcess redis;

    @BeforeAll
    static void startRedis() throws Exception {
        redis = RedisProcess.start();
    }

    @AfterAll
    static void stopRedis() {
        if (redis != null) {
            redis.stop();
        }
    }

    @Override
    protected NonceStore open() throws Exception {
        return RedisNonceStore.connect(redis.uri(), Duration.ofSeconds(2));
    }

    /** A PEP restart: a new connection to the same Redis. */
    @Override
    protected NonceStore reopen(NonceStore store) throws Exception {
        store.close();
        return open();
    }

    @Test
    void aRedisOutageFailsClosed() throws Exception {
        RedisProcess own = RedisProcess.start();
        try (RedisNonceStore s = RedisNonceStore.connect(own.uri(), Duration.ofMillis(500))) {
            assertThat(s.recordIfAbsent("before", Instant.now().plusSeconds(60)))
                    .isTrue();
            own.stop();
            assertThatThrownBy(() -> s.recordIfAbsent("during", Instant.now().plusSeconds(60)))
                    .isInstanceOf(NonceStoreException.class);
        } finally {
            own.stop();
        }
    }

    /** A throwaway redis-server without persistence, bound to loopback. */
    record RedisProcess(Process process, int port, Path dir) {
        static RedisProcess start() throws Exception {
            String bin = Tools.require("redis-server");
            int port;
            try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
                port = s.getLocalPort();
            }
            Path dir = Files.createTempDirectory("writ-redis");
            Process p = new ProcessBuilder(List.of(
                            bin,
                            "--port",
                            String.valueOf(port),
                            "--bind",
                            "127.0.0.1",
                            "--save",
                            "",
                            "--appendonly",
                            "no",
                            "--dir",
                            dir.toString()))
                    .redirectErrorStream(true)
                    .redirectOutput(dir.resolve("redis.log").toFile())
                    .start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (System.nanoTime() < deadline) {
                try (Socket ignored = new Socket("127.0.0.1", port)) {
                    return new RedisProcess(p, port, dir);
                } catch (IOException e) {
                    Thread.sleep(50);
                }
            }
            p.destroyForcibly();
            throw new IllegalStateException("redis-server did not start");
        }

        String uri() {
            return "redis://127.0.0.1:" + port;
        }

        void stop() {
            process.destroy();
            try {
                process.waitFor(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            process.destroyForcibly();
        }
    }
}
