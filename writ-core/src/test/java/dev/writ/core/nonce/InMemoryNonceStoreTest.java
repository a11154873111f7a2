package dev.writ.core.nonce;

import java.time.InstantSource;

class InMemoryNonceStoreTest extends NonceStoreContract {
    @Override
    protected NonceStore open() {
        return new InMemoryNonceStore(InstantSource.system());
    }

    @Override
    protected NonceStore reopen(NonceStore store) {
        return null;
    }
}
