package io.codexrelay.app;

import io.codexrelay.config.PriceTable;

import java.util.List;

/**
 * The API prices per model as the front ends see them ({@code [prices."NAME"]} of {@code config.toml} over the jar's
 * defaults): what the tokens an account used would cost at API prices. The matching rule lives once, in
 * {@link PriceTable}; this record only carries the table across the app door and the admin API.
 *
 * @param rates every price; a later rate wins a tie between equally specific names
 */
public record ApiPrices(List<Rate> rates) {

    /** US dollars per million tokens for the models {@code pattern} names ({@code *} stands for any text). */
    public record Rate(String pattern, double input, double cachedInput, double output, boolean fromUser) {}

    public ApiPrices {
        rates = rates == null ? List.of() : List.copyOf(rates);
    }

    /** The prices shipped in the jar. */
    public static ApiPrices defaults() {
        return of(PriceTable.defaults());
    }

    static ApiPrices of(PriceTable table) {
        return new ApiPrices(table.entries().stream().map(e -> new Rate(e.pattern(), e.price().input(), e.price().cachedInput(),
                e.price().output(), e.fromUser())).toList());
    }

    private PriceTable table() {
        return new PriceTable(rates.stream().map(r -> new PriceTable.Entry(r.pattern(), new PriceTable.Price(r.input(),
                r.cachedInput(), r.output()), r.fromUser())).toList());
    }

    /** The price of {@code model}, or null when no rate names it. */
    public SinceReset.Price priceOf(String model) {
        PriceTable.Price p = table().priceOf(model);
        return p == null ? null : new SinceReset.Price(p.input(), p.cachedInput(), p.output());
    }

    /**
     * What one request's tokens would cost at API prices, in US dollars (not rounded); null when the model has no price.
     * {@code cached} tokens are part of {@code input}, as the Responses API counts them; null counts are 0.
     */
    public Double costUsd(String model, Long input, Long cached, Long output) {
        SinceReset.Price p = priceOf(model);
        return p == null ? null : SinceReset.cost(p, n(input), n(cached), n(output));
    }

    private static long n(Long v) { return v == null ? 0 : v; }
}
