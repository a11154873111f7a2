package dev.writ.core.nonce;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The contract every {@link NonceStore} honours, run against each implementation (embedded and Redis). Uses the real
 * clock: shared stores keep time themselves.
 */
public abstract class NonceStoreContract {
    protected NonceStore store;

    /** A fresh, empty store. */
    protected abstract NonceStore open() throws Exception;

    /**
     * Closes {@code store} and opens it again over the same persistent state, as after a PEP restart. Stores without
     * persistence return {@code null} (the restart test is then skipped).
     */
    protected abstract NonceStore reopen(NonceStore store) throws Exception;

    @BeforeEach
    void openStore() throws Exception {
        store = open();
    }

    @AfterEach
    void closeStore() throws Exception {
        if (store != null) {
            store.close();
        }
    }

    static String nonce() {
        return UUID.randomUUID().toString().replace("-", "");
    }

    static Instant in(Duration d) {
        return Instant.now().plus(d);
    }

    @Test
    void firstUseIsRecordedAndASecondIsAReplay() throws Exception {
        String n = nonce();
        assertThat(store.recordIfAbsent(n, in(Duration.ofMinutes(5)))).isTrue();
        assertThat(store.recordIfAbsent(n, in(Duration.ofMinutes(5)))).isFalse();
        assertThat(store.recordIfAbsent(n, in(Duration.ofMinutes(10)))).isFalse();
    }

    @Test
    void distinctNoncesAreIndependent() throws Exception {
        for (int i = 0; i < 100; i++) {
            assertThat(store.recordIfAbsent(nonce(), in(Duration.ofMinutes(5)))).isTrue();
        }
    }

    @Test
    void anExpiredNonceIsForgotten() throws Exception {
        String n = nonce();
        assertThat(store.recordIfAbsent(n, in(Duration.ofMillis(300)))).isTrue();
        Thread.sleep(600);
        assertThat(store.recordIfAbsent(n, in(Duration.ofMinutes(5)))).isTrue();
        assertThat(store.recordIfAbsent(n, in(Duration.ofMinutes(5)))).isFalse();
    }

    @Test
    void exactlyOneOfManyConcurrentCallersWins() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            for (int round = 0; round < 20; round++) {
                String n = nonce();
                CountDownLatch go = new CountDownLatch(1);
                List<Future<Boolean>> results = new ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    results.add(pool.submit(() -> {
                        go.await();
                        return store.recordIfAbsent(n, in(Duration.ofMinutes(5)));
                    }));
                }
                go.countDown();
                int wins = 0;
                for (Future<Boolean> f : results) {
                    wins += f.get() ? 1 : 0;
                }
                assertThat(wins).as("round " + round).isEqualTo(1);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aReplayAfterARestartIsStillRefused() throws Exception {
        String n = nonce();
        assertThat(store.recordIfAbsent(n, in(Duration.ofMinutes(5)))).isTrue();
        NonceStore again = reopen(store);
        org.junit.jupiter.api.Assumptions.assumeTrue(again != null, "store without persistence");
        store = again;
        assertThat(store.recordIfAbsent(n, in(Duration.ofMinutes(5)))).isFalse();
        assertThat(store.recordIfAbsent(nonce(), in(Duration.ofMinutes(5)))).isTrue();
    }

    @Test
    void invalidNoncesAreRefused() {
        assertThatThrownBy(() -> store.recordIfAbsent("", in(Duration.ofMinutes(1))))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.recordIfAbsent("a b\n", in(Duration.ofMinutes(1))))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.recordIfAbsent("x".repeat(129), in(Duration.ofMinutes(1))))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aClosedStoreFailsClosed() throws Exception {
        store.close();
        NonceStore closed = store;
        store = null;
        assertThatThrownBy(() -> closed.recordIfAbsent(nonce(), in(Duration.ofMinutes(1))))
                .isInstanceOf(NonceStoreException.class);
    }
}
