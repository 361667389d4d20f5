package io.codexrelay.app;

import io.codexrelay.events.QuotaWindow;
import io.codexrelay.testing.ManualClock;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class PaceAndSinceResetTest {
    static final Instant NOW = Instant.parse("2026-11-20T12:00:00Z");
    static final Duration FIVE_H = Duration.ofHours(5);
    final ManualClock clock = new ManualClock(NOW);

    @Test
    void aWindowUsedFastRunsDryBeforeItsReset() {
        // 5-hour window resetting in 2 h 30 m: 2 h 30 m elapsed, 60 % used -> 24 %/h -> 40 % left lasts 1 h 40 m.
        Pace p = Pace.of(new QuotaWindow(60, 300, NOW.plus(Duration.ofMinutes(150))), FIVE_H, clock);
        assertThat(p.outIn()).isEqualTo(Duration.ofMinutes(100));
        assertThat(p.resetsIn()).isEqualTo(Duration.ofMinutes(150));
        assertThat(p.runsDry()).isTrue();
        assertThat(p.describe()).isEqualTo("at this pace: out in 1 h 40 m, resets in 2 h 30 m");
    }

    @Test
    void aWindowUsedSlowlyLastsAndTheClockMovesThePace() {
        // 1 h elapsed, 10 % used: 90 % would last 9 h, the reset is in 4 h.
        QuotaWindow w = new QuotaWindow(10, null, NOW.plus(Duration.ofHours(4)));
        Pace p = Pace.of(w, FIVE_H, clock);
        assertThat(p.runsDry()).isFalse();
        assertThat(p.outIn()).isEqualTo(Duration.ofHours(9));
        assertThat(p.describe()).isEqualTo("at this pace: lasts until the reset in 4 h");
        clock.advance(Duration.ofHours(1));   // same usage an hour later: the pace is slower
        assertThat(Pace.of(w, FIVE_H, clock).outIn()).isEqualTo(Duration.ofHours(18));
        clock.advance(Duration.ofHours(4));   // past the reset: nothing to say
        assertThat(Pace.of(w, FIVE_H, clock)).isNull();
    }

    @Test
    void earlyInAWindowOrUnusedThereIsNoRateYet() {
        assertThat(Pace.of(new QuotaWindow(30, 300, NOW.plus(Duration.ofMinutes(298))), FIVE_H, clock).outIn()).isNull();
        assertThat(Pace.of(new QuotaWindow(0, 300, NOW.plus(Duration.ofHours(2))), FIVE_H, clock).outIn()).isNull();
        assertThat(Pace.of(new QuotaWindow(100, 300, NOW.plus(Duration.ofHours(2))), FIVE_H, clock).outIn()).isEqualTo(Duration.ZERO);
        assertThat(Pace.of(new QuotaWindow(50, 300, null), FIVE_H, clock)).isNull();
    }

    @Test
    void thePoolRunsDryWhenAllHeadroomGoesBeforeTheEarliestReset() {
        // A: 80 % used in 4 h (20 %/h), resets in 1 h. B: 50 % in 2.5 h (20 %/h), resets in 2.5 h.
        // Together 70 % left at 40 %/h -> 1 h 45 m; the earliest reset is in 1 h: the pool lasts.
        QuotaWindow a = new QuotaWindow(80, 300, NOW.plus(Duration.ofHours(1)));
        QuotaWindow b = new QuotaWindow(50, 300, NOW.plus(Duration.ofMinutes(150)));
        Pace pool = Pace.pool(List.of(a, b), FIVE_H, clock);
        assertThat(pool.outIn()).isEqualTo(Duration.ofMinutes(105));
        assertThat(pool.resetsIn()).isEqualTo(Duration.ofHours(1));
        assertThat(pool.runsDry()).isFalse();
        // A resets later (in 3 h, after 2 h at 40 %/h): the pool now runs dry before the first reset.
        QuotaWindow a2 = new QuotaWindow(80, 300, NOW.plus(Duration.ofHours(3)));
        Pace dry = Pace.pool(List.of(a2, b), FIVE_H, clock);
        assertThat(dry.runsDry()).isTrue();
        assertThat(dry.resetsIn()).isEqualTo(Duration.ofMinutes(150));
    }

    @Test
    void sinceTheResetCountsFromTheWindowStartAndPricesPerModel() {
        QuotaWindow w = new QuotaWindow(40, 300, NOW.plus(Duration.ofHours(2)));
        assertThat(SinceReset.windowStart(w, FIVE_H, clock)).isEqualTo(NOW.minus(Duration.ofHours(3)));
        clock.advance(Duration.ofHours(3));   // the reset is past and not yet observed: since the reset itself
        assertThat(SinceReset.windowStart(w, FIVE_H, clock)).isEqualTo(NOW.plus(Duration.ofHours(2)));
        assertThat(SinceReset.windowStart(new QuotaWindow(40, 300, null), FIVE_H, clock)).isNull();

        var prices = Map.of("gpt-5-codex", new SinceReset.Price(1.25, 0.125, 10.0));
        SinceReset s = SinceReset.of(NOW, List.of(
                new SinceReset.Usage("gpt-5-codex", 3, 1_000_000, 600_000, 100_000),
                new SinceReset.Usage("gpt-5-codex-high", 1, 200_000, 0, 0),
                new SinceReset.Usage("some-other-model", 2, 500_000, 0, 50_000)), prices);
        assertThat(s.requests()).isEqualTo(6);
        assertThat(s.inputTokens()).isEqualTo(1_700_000);
        assertThat(s.cachedTokens()).isEqualTo(600_000);
        assertThat(s.outputTokens()).isEqualTo(150_000);
        // 400k fresh * 1.25 + 600k cached * 0.125 + 100k out * 10 = 0.5 + 0.075 + 1.0; plus 200k * 1.25 = 0.25
        assertThat(s.apiPriceUsd()).isEqualTo(1.83);
        assertThat(SinceReset.of(NOW, List.of(new SinceReset.Usage("unknown", 1, 10, 0, 10)), prices).apiPriceUsd()).isNull();
    }
}
