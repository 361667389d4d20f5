package io.codexrelay.proxy;

import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

class SocketFramesTest {

    @Test
    void readsTheTypeWhereverItIsAndSkipsNestedOnes() {
        assertThat(SocketFrames.type("{\"type\":\"response.created\",\"response\":{\"type\":\"x\"}}")).isEqualTo("response.created");
        assertThat(SocketFrames.type("{\"response\":{\"type\":\"inner\"},\"type\":\"response.completed\"}")).isEqualTo("response.completed");
        assertThat(SocketFrames.type("{\"response\":{}}")).isNull();
        assertThat(SocketFrames.type("not json")).isNull();
    }

    @Test
    void everyErrorFrameTheRelayWritesOrPassesOnHasAStatus() {
        var own = SocketFrames.tree(SocketFrames.error(502, "server_error", "relay_upstream_failed", "m"));
        assertThat(SocketFrames.status(own)).isEqualTo(502);
        var limit = SocketFrames.tree(SocketFrames.usageLimit("all out", Instant.ofEpochSecond(2_000_000_000L), Instant.ofEpochSecond(1_999_999_000L)));
        assertThat(SocketFrames.status(limit)).isEqualTo(429);
        assertThat(limit.path("error").path("type").asText()).isEqualTo("usage_limit_reached");
        String bare = "{\"type\":\"error\",\"error\":{\"code\":\"server_error\",\"message\":\"boom\"}}";
        var fixed = SocketFrames.tree(SocketFrames.withStatus(bare, SocketFrames.tree(bare)));
        assertThat(SocketFrames.status(fixed)).isEqualTo(500);
        assertThat(fixed.path("error").path("message").asText()).isEqualTo("boom");
        String with = "{\"type\":\"error\",\"status_code\":429,\"error\":{}}";
        assertThat(SocketFrames.withStatus(with, SocketFrames.tree(with))).isEqualTo(with);
    }

    @Test
    void aRateLimitsEventBecomesTheQuotaHeadersOfAnHttpAnswer() {
        var h = SocketFrames.rateLimitHeaders(SocketFrames.tree("{\"type\":\"codex.rate_limits\",\"rate_limits\":{\"primary\":"
                + "{\"used_percent\":42.5,\"window_minutes\":300,\"reset_at\":1900000000},\"secondary\":null},"
                + "\"credits\":{\"has_credits\":true,\"unlimited\":false,\"balance\":\"12\"}}"));
        assertThat(h).containsEntry("x-codex-primary-used-percent", "42.5")
                .containsEntry("x-codex-primary-window-minutes", "300")
                .containsEntry("x-codex-primary-reset-at", "1900000000")
                .containsEntry("x-codex-credits-has-credits", "true")
                .containsEntry("x-codex-credits-balance", "12")
                .doesNotContainKey("x-codex-secondary-used-percent");
    }
}
