package io.codexrelay.testing;

import io.codexrelay.account.Credentials;
import io.codexrelay.codex.CodexConfigPatch;
import io.codexrelay.codex.CodexDirectMode;
import io.codexrelay.codex.CodexHome;
import io.codexrelay.codex.CodexWiring;
import io.codexrelay.config.RelayHome;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;

/**
 * A child process for the kill -9 tests: changes Codex's files in a loop exactly as {@code codex on}, {@code switch},
 * {@code switch --undo} and {@code codex off} do, printing "cycle N" after each round, until it is killed.
 * Args: relay home, Codex home, base URL, client key, API key.
 */
public final class CodexFilesChurn {
    private CodexFilesChurn() {}

    public static void main(String[] args) throws Exception {
        RelayHome relay = new RelayHome(Path.of(args[0]));
        CodexHome home = new CodexHome(Path.of(args[1]));
        var spec = new CodexConfigPatch.ProviderSpec(args[2], args[3], 600_000);
        var wiring = new CodexWiring(relay, Clock.systemUTC());
        var direct = new CodexDirectMode(relay, Clock.systemUTC());
        Files.createDirectories(home.dir());
        for (long n = 1; ; n++) {
            wiring.on(home, spec);
            direct.apply(home, "B", new Credentials.ApiKey(args[4], null));
            direct.undo(home);
            wiring.off(home, true);
            System.out.println("cycle " + n);
            System.out.flush();
        }
    }
}
