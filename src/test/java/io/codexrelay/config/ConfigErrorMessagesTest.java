package io.codexrelay.config;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A bad config stops the start with one message that names the file, the line and the key. */
class ConfigErrorMessagesTest {

    private static final String FILE = "/home/u/.codex-relay/config.toml";

    @Test
    void garbageBytesNameTheLineAndColumnInsteadOfInputLength(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path file = dir.resolve("config.toml");
        byte[] head = "[server]\nport = 8787\nlisten = \"12".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] bytes = java.util.Arrays.copyOf(head, head.length + 3);
        bytes[head.length] = (byte) 0xff;
        bytes[head.length + 1] = (byte) 0xfe;
        bytes[head.length + 2] = '\n';
        java.nio.file.Files.write(file, bytes);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ConfigLoader.load(file))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("line 3, column 13").hasMessageContaining("0xff").hasMessageContaining("UTF-8")
                .hasMessageNotContaining("Input length");
    }

    @Test
    void syntaxErrorNamesFileAndLine() {
        assertThatThrownBy(() -> ConfigLoader.parse("[server]\nport = 17771\nlisten = \"127.0.0.1\n", FILE))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(FILE + ":3: TOML syntax error");
    }

    @Test
    void unknownKeySuggestsTheNearestOne() {
        assertThatThrownBy(() -> ConfigLoader.parse("[server]\n\nprot = 17771\n", FILE))
                .hasMessageStartingWith(FILE + ":3: ")
                .hasMessageContaining("unknown key 'server.prot'")
                .hasMessageContaining("did you mean 'port'?");
    }

    @Test
    void wrongTypeNamesKeyAndExpectedType() {
        assertThatThrownBy(() -> ConfigLoader.parse("[log]\nretention_days = \"thirty\"\n", FILE))
                .hasMessageStartingWith(FILE + ":2: ")
                .hasMessageContaining("'log.retention_days' must be a whole number");
    }

    @Test
    void portOutOfRangeNamesKeyAndLimit() {
        assertThatThrownBy(() -> ConfigLoader.parse("# c\n[server]\nport = 70000\n", FILE))
                .hasMessageStartingWith(FILE + ":3: ")
                .hasMessageContaining("'server.port' must be at most 65535");
    }
}
