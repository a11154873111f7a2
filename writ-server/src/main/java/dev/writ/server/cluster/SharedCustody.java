package dev.writ.server.cluster;

import dev.writ.server.custody.CustodyException;
import dev.writ.server.custody.KeyCustody;
import dev.writ.server.custody.KeyHandle;
import dev.writ.server.custody.KeySpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.sql.SQLException;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Software custody shared by every node of a trust domain: a node's local keystore ({@code <data>/custody}) mirrored
 * through the shared database ({@link SharedFiles}).
 *
 * <p>A key generated on any node is stored in the database as its sealed key file before its handle is returned, so
 * another node asked to sign with a handle it has not seen fetches that file and signs with it. The files stay sealed
 * under the custody master key everywhere; the master key itself is given to each node separately (its file or
 * {@code WRIT_MASTER_KEY_FILE}) and never enters the database. Key ids are random 128-bit values, so keys generated on
 * two nodes never collide.
 *
 * <p>Fails closed: a key file that cannot be stored makes {@link #generate} fail (and the key is destroyed locally);
 * a handle unknown to both the local keystore and the database fails as the delegate does.
 */
public final class SharedCustody implements KeyCustody {
    private static final Pattern ID = Pattern.compile("[0-9a-f]{32}");

    private final KeyCustody local;
    private final Path dataDir;
    private final SharedFiles files;

    /**
     * @param local the node's software custody opened on {@code <dataDir>/custody}
     * @param dataDir the data directory holding {@code custody/}
     */
    public SharedCustody(KeyCustody local, Path dataDir, SharedFiles files) {
        this.local = Objects.requireNonNull(local, "local");
        this.dataDir = Objects.requireNonNull(dataDir, "dataDir");
        this.files = Objects.requireNonNull(files, "files");
    }

    private static String keyPath(String id) {
        return "custody/keys/" + id + ".key";
    }

    @Override
    public KeyHandle generate(KeySpec spec, String label) throws CustodyException {
        KeyHandle h = local.generate(spec, label);
        try {
            files.put(keyPath(h.id()), Files.readAllBytes(dataDir.resolve(keyPath(h.id()))));
        } catch (SQLException | IOException e) {
            // A key other nodes cannot reach must not be handed out: its agent would fail on every other node.
            try {
                local.destroy(h);
            } catch (CustodyException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw new CustodyException("cannot store the sealed key in the shared database");
        }
        return h;
    }

    @Override
    public PublicKey publicKey(KeyHandle handle) throws CustodyException {
        try {
            return local.publicKey(handle);
        } catch (CustodyException e) {
            if (!fetch(handle)) {
                throw e;
            }
            return local.publicKey(handle);
        }
    }

    @Override
    public byte[] sign(KeyHandle handle, byte[] data) throws CustodyException {
        try {
            return local.sign(handle, data);
        } catch (CustodyException e) {
            if (!fetch(handle)) {
                throw e;
            }
            return local.sign(handle, data);
        }
    }

    /** Fetches a key file this node has not seen; false when there is nothing (new) to fetch. */
    private boolean fetch(KeyHandle handle) throws CustodyException {
        Objects.requireNonNull(handle, "handle");
        // Ids become file names: only our own format is looked up.
        if (!ID.matcher(handle.id()).matches() || Files.exists(dataDir.resolve(keyPath(handle.id())))) {
            return false;
        }
        try {
            return files.fetch(dataDir, keyPath(handle.id()));
        } catch (SQLException | IOException e) {
            throw new CustodyException("cannot read the sealed key from the shared database");
        }
    }

    @Override
    public void destroy(KeyHandle handle) throws CustodyException {
        fetch(handle);
        local.destroy(handle);
        try {
            files.delete(keyPath(handle.id()));
        } catch (SQLException e) {
            throw new CustodyException("cannot delete the sealed key from the shared database");
        }
    }

    @Override
    public KeySpec defaultSpec() {
        return local.defaultSpec();
    }

    @Override
    public void close() throws CustodyException {
        local.close();
    }
}
