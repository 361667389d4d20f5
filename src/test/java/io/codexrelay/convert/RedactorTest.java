package io.codexrelay.convert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** Redaction of canonical request bodies (issue 12): the text changes, the JSON never breaks, structure is untouched. */
class RedactorTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static Redactor.Rule literal(String text, String replacement) {
        return new Redactor.Rule(Pattern.compile(Pattern.quote(text)), replacement);
    }

    private static JsonNode tree(byte[] b) throws Exception { return JSON.readTree(b); }

    @Test
    void textACodexRequestCarriesIsRedactedEverywhereItAppearsAndStructureIsNot() throws Exception {
        String body = """
            {"model":"gpt-5-ACME","instructions":"You work for ACME.","input":[
              {"type":"message","role":"user","id":"msg_ACME","content":[{"type":"input_text","text":"ask ACME about ACME"}]},
              {"type":"function_call","call_id":"call_ACME","name":"shell","arguments":"{\\"command\\":[\\"grep\\",\\"ACME\\"]}"},
              {"type":"function_call_output","call_id":"call_ACME","output":"ACME Corp, 2 lines"},
              {"type":"local_shell_call","call_id":"c2","action":{"type":"exec","command":["echo","ACME"]}},
              {"type":"custom_tool_call","call_id":"c3","name":"apply_patch","input":"*** ACME patch"},
              {"type":"reasoning","encrypted_content":"ACME-opaque","summary":[{"type":"summary_text","text":"ACME plan"}]}],
             "tools":[{"type":"function","name":"ACME","description":"ACME tool"}],"prompt_cache_key":"ACME"}
            """;
        var r = Redactor.apply(body.getBytes(StandardCharsets.UTF_8), List.of(literal("ACME", "[co]")));

        JsonNode t = tree(r.body());
        assertThat(r.replacements()).isEqualTo(8);
        assertThat(t.path("instructions").asText()).isEqualTo("You work for [co].");
        JsonNode in = t.path("input");
        assertThat(in.get(0).path("content").get(0).path("text").asText()).isEqualTo("ask [co] about [co]");
        assertThat(JSON.readTree(in.get(1).path("arguments").asText()).path("command").get(1).asText()).isEqualTo("[co]");
        assertThat(in.get(2).path("output").asText()).isEqualTo("[co] Corp, 2 lines");
        assertThat(in.get(3).path("action").path("command").get(1).asText()).isEqualTo("[co]");
        assertThat(in.get(4).path("input").asText()).isEqualTo("*** [co] patch");
        assertThat(in.get(5).path("summary").get(0).path("text").asText()).isEqualTo("[co] plan");
        // structure and opaque values stay exactly as they were
        assertThat(t.path("model").asText()).isEqualTo("gpt-5-ACME");
        assertThat(in.get(0).path("id").asText()).isEqualTo("msg_ACME");
        assertThat(in.get(1).path("call_id").asText()).isEqualTo("call_ACME");
        assertThat(in.get(5).path("encrypted_content").asText()).isEqualTo("ACME-opaque");
        assertThat(t.path("tools").get(0).path("name").asText()).isEqualTo("ACME");
        assertThat(t.path("prompt_cache_key").asText()).isEqualTo("ACME");
    }

    @Test
    void hostileMatchesAndReplacementsNeverBreakTheJson() throws Exception {
        String hostile = "quote \" backslash \\ tab \t nul \u0000 emoji 😀 rtl \u202e cjk 漢字 end";
        String body = JSON.writeValueAsString(JSON.createObjectNode().put("model", "m").put("instructions", hostile)
                .set("input", JSON.createArrayNode().add(JSON.createObjectNode().put("type", "message").put("role", "user")
                        .put("content", hostile))));
        var rules = List.of(
                new Redactor.Rule(Pattern.compile("\\\\"), "\\\"$1"),    // a backslash becomes backslash-quote-dollar-one
                new Redactor.Rule(Pattern.compile("\""), "\\u0022"),      // a quote becomes the six characters \u0022
                new Redactor.Rule(Pattern.compile("😀|漢"), "\u0000"),   // astral and CJK become a NUL
                new Redactor.Rule(Pattern.compile("\u202e"), "}\"]"));   // a bidi override becomes JSON punctuation

        var r = Redactor.apply(body.getBytes(StandardCharsets.UTF_8), rules);

        JsonNode t = tree(r.body()); // parses: the JSON is intact
        // rules run in order: the quote the first rule put in is replaced by the second too
        String expected = "quote \\u0022 backslash \\\\u0022$1 tab \t nul \u0000 emoji \u0000 rtl }\"] cjk \u0000字 end";
        assertThat(t.path("instructions").asText()).isEqualTo(expected);
        assertThat(t.path("input").get(0).path("content").asText()).isEqualTo(expected);
        assertThat(t.path("input").get(0).path("role").asText()).isEqualTo("user");
        assertThat(r.replacements()).isEqualTo(12);
    }

    @Test
    void noMatchOrNoRulesLeavesTheBytesAsTheyWereAndABodyThatIsNotJsonIsNotTouched() {
        byte[] body = "{\"model\":\"m\",\"input\":\"hello\"}".getBytes(StandardCharsets.UTF_8);
        assertThat(Redactor.apply(body, List.of()).body()).isSameAs(body);
        var none = Redactor.apply(body, List.of(literal("absent", "x")));
        assertThat(none.body()).isSameAs(body);
        assertThat(none.replacements()).isZero();
        byte[] broken = "{\"input\":\"secret".getBytes(StandardCharsets.UTF_8);
        assertThat(Redactor.apply(broken, List.of(literal("secret", "x"))).body()).isSameAs(broken);
    }

    @Test
    void rulesRunInOrderAndARegexCanRemoveWhatItMatches() throws Exception {
        byte[] body = "{\"input\":\"key sk-abc123XYZ and sk-def456\"}".getBytes(StandardCharsets.UTF_8);
        var r = Redactor.apply(body, List.of(new Redactor.Rule(Pattern.compile("sk-[A-Za-z0-9]+"), "KEY"),
                new Redactor.Rule(Pattern.compile(" and KEY"), "")));
        assertThat(tree(r.body()).path("input").asText()).isEqualTo("key KEY");
        assertThat(r.replacements()).isEqualTo(3);
    }
}
