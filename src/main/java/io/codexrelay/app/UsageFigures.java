package io.codexrelay.app;

import io.codexrelay.events.QuotaWindow;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The usage figures the front ends show (status, the Usage tab, the log export): what each account did since its
 * 5-hour and weekly windows last reset, and per day, with the API-price equivalent. One place asks the request log
 * ({@link ControlApi#requestUsage}, sums per account and model) and prices it ({@link ControlApi#apiPrices}), so the
 * CLI and the tray show the same figures. Time comes from the injected {@link Clock}.
 */
public final class UsageFigures {
    public static final Duration FIVE_HOURS = Duration.ofHours(5), WEEK = Duration.ofDays(7);

    /** One account's figures: since the 5-hour reset, since the weekly reset (null: window unknown), and today. */
    public record AccountFigures(String account, SinceReset fiveHour, SinceReset week, SinceReset today) {}

    /** One account on one local day. */
    public record Day(String account, LocalDate date, SinceReset usage) {}

    private final ControlApi control;
    private final Clock clock;
    private final ZoneId zone;
    private final ApiPrices prices;

    /** Reads the price table once; a control that has none (an old daemon) gives the jar's defaults. */
    public UsageFigures(ControlApi control, Clock clock, ZoneId zone) {
        this.control = control;
        this.clock = clock;
        this.zone = zone;
        ApiPrices p;
        try {
            p = control.apiPrices();
        } catch (ControlException | RuntimeException e) {
            p = ApiPrices.defaults();
        }
        this.prices = p;
    }

    public ApiPrices prices() { return prices; }

    /** Figures of each account in {@code accounts} (in that order). */
    public List<AccountFigures> of(List<AccountStatus> accounts) throws ControlException {
        List<AccountFigures> out = new ArrayList<>();
        for (AccountStatus a : accounts) {
            var q = a.quota();
            out.add(new AccountFigures(a.name(), sinceWindow(a.name(), q == null ? null : q.primary(), FIVE_HOURS),
                    sinceWindow(a.name(), q == null ? null : q.secondary(), WEEK), since(a.name(), startOfToday())));
        }
        return out;
    }

    /** What {@code account} did since {@code w} began; null when the window's reset is unknown. */
    public SinceReset sinceWindow(String account, QuotaWindow w, Duration defaultLength) throws ControlException {
        Instant from = SinceReset.windowStart(w, defaultLength, clock);
        return from == null ? null : since(account, from);
    }

    /** What {@code account} did from {@code from} until now. */
    public SinceReset since(String account, Instant from) throws ControlException {
        Duration span = Duration.between(from, clock.instant()).plusMinutes(1);
        if (span.isNegative() || span.isZero()) span = Duration.ofMinutes(1);
        List<SinceReset.Usage> rows = new ArrayList<>();
        for (LogQuery.UsageBucket b : control.requestUsage(from, span)) {
            if (account.equals(b.account())) rows.add(usage(b));
        }
        return SinceReset.of(from, rows, prices);
    }

    /** Each account's usage per local day, the last {@code days} days (today included), newest day first. */
    public List<Day> perDay(int days) throws ControlException {
        LocalDate today = LocalDate.now(clock.withZone(zone));
        LocalDate first = today.minusDays(days - 1L);
        Instant from = first.atStartOfDay(zone).toInstant();
        // Hour buckets, so a day is cut where the local day ends (a UTC-aligned day bucket would not be).
        Map<LocalDate, Map<String, List<SinceReset.Usage>>> byDay = new TreeMap<>(java.util.Comparator.reverseOrder());
        for (LogQuery.UsageBucket b : control.requestUsage(from, Duration.ofHours(1))) {
            LocalDate d = LocalDate.ofInstant(b.start(), zone);
            if (d.isBefore(first)) continue;
            byDay.computeIfAbsent(d, x -> new LinkedHashMap<>()).computeIfAbsent(b.account(), x -> new ArrayList<>()).add(usage(b));
        }
        List<Day> out = new ArrayList<>();
        for (var day : byDay.entrySet()) {
            for (var acc : new TreeMap<>(day.getValue()).entrySet()) {
                out.add(new Day(acc.getKey(), day.getKey(), SinceReset.of(day.getKey().atStartOfDay(zone).toInstant(), acc.getValue(), prices)));
            }
        }
        return out;
    }

    public Instant startOfToday() {
        return LocalDate.now(clock.withZone(zone)).atStartOfDay(zone).toInstant();
    }

    private static SinceReset.Usage usage(LogQuery.UsageBucket b) {
        return new SinceReset.Usage(b.model(), b.requests(), b.inputTokens(), b.cachedTokens(), b.outputTokens());
    }

    /** "3 requests, 120 400 tokens (≈ $1.23 at API prices)": one way of saying a figure, for the CLI and the tray. */
    public static String describe(SinceReset s) {
        if (s == null) return "-";
        StringBuilder sb = new StringBuilder().append(s.requests()).append(s.requests() == 1 ? " request, " : " requests, ")
                .append(s.inputTokens() + s.outputTokens()).append(" tokens");
        if (s.apiPriceUsd() != null) sb.append(String.format(java.util.Locale.ROOT, " (≈ $%.2f at API prices)", s.apiPriceUsd()));
        return sb.toString();
    }
}
