package io.codexrelay.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * The local client key: a random secret every proxied request must carry in the {@value #HEADER} header.
 * {@code codex on} writes it into Codex's provider entry as a static header; it lives in
 * {@code ~/.codex-relay/client.key} (0600) and is created on first use.
 */
public final class ClientKey {
    public static final String HEADER = "x-relay-key";
    private static final String PREFIX = "crk_";

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ClientKey.class);

    private final String value;
    private final java.nio.file.Path damagedCopy;

    private ClientKey(String value, java.nio.file.Path damagedCopy) {
        this.value = value;
        this.damagedCopy = damagedCopy;
    }

    /**
     * The key in {@code client.key}, made on first use. A key file others can read is tightened to 0600. A damaged
     * key file is not silently replaced (issue 9, fault 7): it is kept aside as {@code client.key.damaged-<time>}, a
     * new key is made, the replacement is logged as an error that says what to do, and {@link #replacedDamaged()}
     * tells the caller so it can re-wire Codex ({@code CodexWiring.refreshClientKey}).
     */
    public static ClientKey loadOrCreate(RelayHome home) throws IOException {
        var file = home.clientKeyFile();
        java.nio.file.Path damaged = null;
        if (Files.exists(file)) {
            String was = RelayHome.tightenIfLoose(file);
            if (was != null) log.warn("{} could be read by other users ({}); tightened to rw-------", file, was);
            byte[] bytes = Files.readAllBytes(file);
            String v = new String(bytes, StandardCharsets.UTF_8).trim();
            if (valid(v)) return new ClientKey(v, null);
            damaged = file.resolveSibling("client.key.damaged-" + System.currentTimeMillis());
            Files.move(file, damaged);
            RelayHome.restrictToOwner(damaged, false);
        }
        byte[] raw = new byte[24];
        new SecureRandom().nextBytes(raw);
        String v = PREFIX + HexFormat.of().formatHex(raw);
        home.ensureExists();
        AtomicFiles.writeString(file, v + "\n", true);
        if (damaged != null) {
            log.error("{} was damaged, so a new client key was made (the old file is kept as {}). A Codex wired to the "
                    + "relay before now sends the old key and gets 401: the relay re-wires Codex's config.toml at start; "
                    + "elsewhere run `codex-relay codex on`.", file, damaged.getFileName());
        }
        return new ClientKey(v, damaged);
    }

    /** A new random key in the same form as Codex's (for a per-tool key); shown once, stored only as {@link #hashOf}. */
    public static String generate() {
        byte[] raw = new byte[24];
        new SecureRandom().nextBytes(raw);
        return PREFIX + HexFormat.of().formatHex(raw);
    }

    /** The hex SHA-256 of a key: what relay.db keeps of a per-tool key. */
    public static String hashOf(String key) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.trim().getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    private static boolean valid(String v) {
        return v.startsWith(PREFIX) && v.length() >= 36 && v.chars().allMatch(c -> c == '_' || Character.isLetterOrDigit(c) && c < 128);
    }

    /** True when a damaged key file was replaced by a new key during {@link #loadOrCreate}. */
    public boolean replacedDamaged() { return damagedCopy != null; }

    /** Where the damaged key file was kept, or null. */
    public java.nio.file.Path damagedCopy() { return damagedCopy; }

    public String value() { return value; }

    /** Constant-time comparison with a presented key. */
    public boolean matches(String presented) {
        if (presented == null) return false;
        return MessageDigest.isEqual(value.getBytes(StandardCharsets.UTF_8), presented.trim().getBytes(StandardCharsets.UTF_8));
    }

    @Override public String toString() { return "ClientKey[…" + value.substring(value.length() - 4) + "]"; }
}
