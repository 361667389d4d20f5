package io.codexrelay.ui;

import io.codexrelay.app.LogQuery.UsageBucket;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class UsageChartTest {
    static final Instant NOW = Instant.parse("2026-03-10T12:30:00Z");
    static final Instant HOUR = Instant.parse("2026-03-10T12:00:00Z");

    static List<UsageBucket> data() {
        List<UsageBucket> d = new ArrayList<>();
        for (int h = 0; h < 30; h++) {
            Instant t = HOUR.minus(Duration.ofHours(h));
            d.add(new UsageBucket(t, "Pro-1", 10 + h, 10_000L * (h % 5 + 1), 0, 2_000, 0));
            if (h % 3 == 0) d.add(new UsageBucket(t, "Plus-2", 5, 40_000, 0, 5_000, 0));
        }
        return d;
    }

    @Test
    void seriesHasOneBucketPerHourEndingNow() {
        var s = UsageChart.Series.of(data(), UsageChart.Range.DAY, UsageChart.Metric.TOKENS, NOW);
        assertThat(s.buckets()).isEqualTo(24);
        assertThat(s.start()).isEqualTo(HOUR.minus(Duration.ofHours(23)));
        assertThat(s.accounts()).containsExactly("Plus-2", "Pro-1");
        // The newest bucket holds hour 0: Pro-1 10k+2k, Plus-2 40k+5k.
        assertThat(s.values()[1][23]).isEqualTo(12_000);
        assertThat(s.values()[0][23]).isEqualTo(45_000);
        assertThat(s.total(23)).isEqualTo(57_000);
        var req = UsageChart.Series.of(data(), UsageChart.Range.WEEK, UsageChart.Metric.REQUESTS, NOW);
        assertThat(req.buckets()).isEqualTo(168);
        assertThat(req.values()[1][167]).isEqualTo(10);
        assertThat(req.values()[1][167 - 29]).isEqualTo(39);
        assertThat(req.max()).isEqualTo(37 + 5); // hour 27: Pro-1 37 + Plus-2 5
    }

    @Test
    void paintsStackedBarsInTheAccountColours() throws Exception {
        var chart = new UsageChart(ZoneOffset.UTC);
        var s = UsageChart.Series.of(data(), UsageChart.Range.DAY, UsageChart.Metric.TOKENS, NOW);
        chart.setData(s, UsageChart.Range.DAY, UsageChart.Metric.TOKENS);
        BufferedImage img = new BufferedImage(720, 300, BufferedImage.TYPE_INT_RGB);
        var g = img.createGraphics();
        chart.paintChart(g, 720, 300);
        g.dispose();
        int pro = 0, plus = 0;
        for (int y = 36; y < 272; y++)
            for (int x = 56; x < 704; x++) {
                int c = img.getRGB(x, y) & 0xFFFFFF;
                if (c == (UsageChart.colour(1).getRGB() & 0xFFFFFF)) pro++;
                if (c == (UsageChart.colour(0).getRGB() & 0xFFFFFF)) plus++;
            }
        assertThat(pro).isGreaterThan(1000);
        assertThat(plus).isGreaterThan(1000);
        Path out = Path.of("target", "screenshots", "usage-chart-headless.png");
        Files.createDirectories(out.getParent());
        ImageIO.write(img, "png", out.toFile());
    }

    @Test
    void clientSeriesStacksTheSameHoursByClientKey() {
        List<io.codexrelay.app.LogQuery.ClientBucket> d = List.of(
                new io.codexrelay.app.LogQuery.ClientBucket(HOUR, "codex", 3, 1_000, 100),
                new io.codexrelay.app.LogQuery.ClientBucket(HOUR, "claude-code", 2, 5_000, 500),
                new io.codexrelay.app.LogQuery.ClientBucket(HOUR.minus(Duration.ofHours(2)), "codex", 1, 10, 1),
                new io.codexrelay.app.LogQuery.ClientBucket(HOUR.minus(Duration.ofHours(30)), "old-tool", 9, 9, 9)); // outside 24 h
        var req = UsageChart.Series.ofClients(d, UsageChart.Range.DAY, UsageChart.Metric.REQUESTS, NOW);
        assertThat(req.accounts()).containsExactly("claude-code", "codex");
        assertThat(req.values()[1][23]).isEqualTo(3);
        assertThat(req.values()[1][21]).isEqualTo(1);
        assertThat(req.values()[0][23]).isEqualTo(2);
        var tokens = UsageChart.Series.ofClients(d, UsageChart.Range.DAY, UsageChart.Metric.TOKENS, NOW);
        assertThat(tokens.total(23)).isEqualTo(1_100 + 5_500);
    }

    @Test
    void niceCeilingRoundsUp() {
        assertThat(UsageChart.niceCeiling(0)).isEqualTo(4);
        assertThat(UsageChart.niceCeiling(57_000)).isGreaterThanOrEqualTo(57_000).isLessThanOrEqualTo(100_000);
        assertThat(UsageChart.niceCeiling(57_000) % 4).isZero();
        assertThat(UsageChart.niceCeiling(39)).isBetween(39L, 52L);
    }
}
