package io.codexrelay.ui;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The request-log window's Usage tab on an X server (Xvfb started here), over a relay home's real request log: the
 * chart stacks requests by account, and after choosing "By client key" by the client key each request came with
 * (request_log.client), rows from before clients were kept counting as "(unknown)". The window closes on Esc.
 */
@Tag("ui")
class UsageByClientXvfbTest {
    @TempDir Path tmp;
    XDesktop desktop;

    @AfterEach
    void stop() {
        if (desktop != null) desktop.close();
    }

    @Test
    void theUsageChartShowsRequestsByAccountOrByClientKey() throws Exception {
        SessionsWindowXvfbTest.need("Xvfb");
        SessionsWindowXvfbTest.need("xdotool");
        desktop = XDesktop.start(tmp.resolve("desktop"), false);
        Process shot = desktop.java(Map.of("CODEX_RELAY_HOME", tmp.resolve("relay").toString()),
                "-Duser.home=" + tmp.resolve("user-home"), UsageByClientShot.class.getName(), tmp.resolve("relay").toString());
        ChildLines out = new ChildLines(shot);
        out.until("READY", SessionsWindowXvfbTest.WAIT);

        assertThat(out.seen()).as("child output").contains("SERIES ACCOUNT A=4;B=3");
        assertThat(out.seen()).as("child output").contains("SERIES CLIENT (unknown)=1;claude-code=2;codex=3;run:4242 codex=1");

        for (int attempt = 0; attempt < 4 && shot.isAlive(); attempt++) {
            String id = desktop.awaitWindow("request log", SessionsWindowXvfbTest.WAIT);
            Thread.sleep(1000);
            desktop.xdotool("mousemove", "--window", id, "600", "400", "click", "1");
            Thread.sleep(500);
            desktop.xdotool("key", "Escape");
            shot.waitFor(10, TimeUnit.SECONDS);
        }
        assertThat(shot.isAlive()).as("window closed on Esc; child output: " + out.seen()).isFalse();
        assertThat(shot.exitValue()).isZero();
    }
}
