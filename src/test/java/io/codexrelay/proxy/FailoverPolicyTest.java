package io.codexrelay.proxy;

import io.codexrelay.pool.Acquisition;
import io.codexrelay.pool.FailureClass;
import org.eclipse.jetty.io.EofException;
import org.junit.jupiter.api.Test;

import java.net.ConnectException;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** The failover policy both transports share: same-account retries (each once), moving on, giving up, wording. */
class FailoverPolicyTest {
    private static final Instant NOW = Instant.parse("2026-12-03T09:00:00Z");

    private static FailureClassifier.Verdict status(int status, String body) {
        return FailureClassifier.ofStatus(status, h -> null, body.getBytes(StandardCharsets.UTF_8), NOW);
    }

    @Test
    void aConnectionClosedBeforeAnyAnswerGetsOneMoreTryPerAccountAndOtherTransportFailuresMoveOn() {
        FailoverPolicy p = new FailoverPolicy();
        FailureClassifier.Verdict eof = FailureClassifier.ofTransport(new EofException("reset"));
        assertThat(p.afterNoAnswer("A", eof)).isEqualTo(new FailoverPolicy.SameAccount(FailoverPolicy.Retry.RECONNECT));
        assertThat(p.afterNoAnswer("A", eof)).as("only once per account").isInstanceOf(FailoverPolicy.NextAccount.class);
        assertThat(p.afterNoAnswer("B", FailureClassifier.ofTransport(new ClosedChannelException())))
                .isEqualTo(new FailoverPolicy.SameAccount(FailoverPolicy.Retry.RECONNECT));
        // What Jetty's client reports for a kept-alive connection the upstream had closed: a plain EOFException.
        assertThat(p.afterNoAnswer("D", FailureClassifier.ofTransport(new java.io.EOFException("HttpConnectionOverHTTP@1"))))
                .isEqualTo(new FailoverPolicy.SameAccount(FailoverPolicy.Retry.RECONNECT));
        // Refused, timed out: the same account would fail the same way (and a timeout already cost its wait).
        assertThat(p.afterNoAnswer("C", FailureClassifier.ofTransport(new ConnectException("refused"))))
                .isInstanceOf(FailoverPolicy.NextAccount.class);
        assertThat(p.afterNoAnswer("C", FailureClassifier.ofTransport(new TimeoutException("slow"))))
                .isInstanceOf(FailoverPolicy.NextAccount.class);
    }

    @Test
    void refusalsRefreshOnceStripOnceMoveOnOrGoToTheClient() {
        FailoverPolicy p = new FailoverPolicy();
        AtomicInteger strips = new AtomicInteger();
        FailureClassifier.Verdict expired = status(401, "{\"error\":{\"code\":\"token_expired\"}}");
        assertThat(p.afterRefusal("A", expired, () -> false)).isEqualTo(new FailoverPolicy.SameAccount(FailoverPolicy.Retry.REFRESH_TOKEN));
        assertThat(p.afterRefusal("A", expired, () -> false)).as("a second 401 after the refresh moves on")
                .isInstanceOf(FailoverPolicy.NextAccount.class);
        assertThat(p.afterRefusal("B", expired, () -> false)).isEqualTo(new FailoverPolicy.SameAccount(FailoverPolicy.Retry.REFRESH_TOKEN));
        // A rejected API key is not a login: no refresh, next account.
        assertThat(p.afterRefusal("K", status(401, "{\"error\":{\"code\":\"invalid_api_key\"}}"), () -> false))
                .isInstanceOf(FailoverPolicy.NextAccount.class);

        FailureClassifier.Verdict stale = status(400, "{\"error\":{\"code\":\"invalid_encrypted_content\"}}");
        assertThat(p.afterRefusal("A", stale, () -> strips.incrementAndGet() > 0))
                .isEqualTo(new FailoverPolicy.SameAccount(FailoverPolicy.Retry.STRIP_REASONING));
        assertThat(p.afterRefusal("B", stale, () -> strips.incrementAndGet() > 0)).as("stripped once per request")
                .isInstanceOf(FailoverPolicy.ToClient.class);
        assertThat(strips).as("the repair is not run once it was spent").hasValue(1);
        assertThat(new FailoverPolicy().afterRefusal("A", stale, () -> false)).as("nothing to strip")
                .isInstanceOf(FailoverPolicy.ToClient.class);

        assertThat(p.afterRefusal("A", status(429, "{\"error\":{\"type\":\"usage_limit_reached\"}}"), () -> false))
                .isInstanceOf(FailoverPolicy.NextAccount.class);
        assertThat(p.afterRefusal("A", status(503, "{}"), () -> false)).isInstanceOf(FailoverPolicy.NextAccount.class);
        assertThat(p.afterRefusal("A", status(400, "{\"error\":{\"code\":\"context_length_exceeded\"}}"), () -> false))
                .isInstanceOf(FailoverPolicy.ToClient.class);
        assertThat(p.afterAnchorMiss()).isEqualTo(new FailoverPolicy.SameAccount(FailoverPolicy.Retry.RESEND_FULL));
        assertThat(p.afterAnchorMiss()).isInstanceOf(FailoverPolicy.NextAccount.class);
    }

    @Test
    void whenNoAccountIsLeftTheAnswerFollowsWhyAndSaysWhatToDo() {
        FailoverPolicy p = new FailoverPolicy();
        List<String> none = List.of();

        var noAccounts = p.noAccountLeft(new Acquisition.NoAccounts(), null, none, List::of, NOW);
        assertThat(noAccounts.why()).isEqualTo(FailoverPolicy.GiveUp.NO_ACCOUNTS);
        assertThat(noAccounts.status()).isEqualTo(503);
        assertThat(noAccounts.code()).isEqualTo("relay_no_accounts");
        assertThat(noAccounts.message()).contains("codex-relay accounts add-key");

        Instant reset = NOW.plusSeconds(90 * 60);
        var out = p.noAccountLeft(new Acquisition.AllOut(reset), status(429, "{\"error\":{\"type\":\"usage_limit_reached\"}}"),
                List.of("A:429 usage_limit_reached"), () -> List.of("never asked"), NOW);
        assertThat(out.why()).isEqualTo(FailoverPolicy.GiveUp.ALL_OUT);
        assertThat(out.status()).isEqualTo(429);
        assertThat(out.resetsAt()).isEqualTo(reset);
        assertThat(out.failureClass()).isEqualTo(FailureClass.QUOTA);
        assertThat(out.message()).contains("back in about 1 h 30 min").contains("`codex-relay status`");

        var rejected = p.noAccountLeft(new Acquisition.AllOut(null), null, none, () -> List.of("K"), NOW);
        assertThat(rejected.why()).isEqualTo(FailoverPolicy.GiveUp.KEY_REJECTED);
        assertThat(rejected.status()).isEqualTo(401);
        assertThat(rejected.code()).isEqualTo("invalid_api_key");
        assertThat(rejected.message()).contains("account K").contains("accounts add-key --name K");

        var failed = p.noAccountLeft(new Acquisition.AllBusy(1), FailureClassifier.ofTransport(new ConnectException()),
                List.of("A:connect refused"), List::of, NOW);
        assertThat(failed.why()).as("busy after a failure: the failure is what the client needs to hear")
                .isEqualTo(FailoverPolicy.GiveUp.UPSTREAM_FAILED);
        assertThat(failed.status()).isEqualTo(502);
        assertThat(failed.message()).contains("(A:connect refused)");

        var busy = p.noAccountLeft(new Acquisition.AllBusy(2), null, none, List::of, NOW);
        assertThat(busy.why()).isEqualTo(FailoverPolicy.GiveUp.ALL_BUSY);
        assertThat(busy.code()).isEqualTo("relay_busy");

        var challenge = p.noAccountLeft(new Acquisition.AllOut(reset),
                new FailureClassifier.Verdict(FailureClass.CHALLENGE, null, "403 challenge", "browser check"),
                List.of("A:403 challenge"), List::of, NOW);
        assertThat(challenge.why()).isEqualTo(FailoverPolicy.GiveUp.CHALLENGE);
        assertThat(challenge.code()).isEqualTo("relay_upstream_challenge");
    }
}
