package io.outpost.cache.objects;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

import io.outpost.cache.objects.Selector.Operator;
import io.outpost.cache.objects.Selector.Requirement;

class SelectorTest {

    private static final Map<String, String> WEB_FRONT = Map.of("app", "web", "tier", "front");

    @ParameterizedTest(name = "[{index}] \"{0}\" matches app=web,tier=front: {1}")
    @CsvSource(delimiter = '|', value = {
        "app=web                 | true",
        "app==web                | true",
        "app=db                  | false",
        "app!=db                 | true",
        "app!=web                | false",
        "missing!=x              | true",
        "app in (web,db)         | true",
        "app in (db)             | false",
        "missing in (web)        | false",
        "app notin (db,cache)    | true",
        "app notin (web)         | false",
        "missing notin (web)     | true",
        "app                     | true",
        "missing                 | false",
        "!missing                | true",
        "!app                    | false",
        "app=web,tier=front      | true",
        "app=web,tier=back       | false",
        "' app = web , tier in ( front , back ) ' | true",
    })
    void givenLabelSelector_whenMatchedAgainstLabels_thenItFollowsKubernetesSemantics(String selector, boolean expected) {
        assertEquals(expected, Selector.parseLabels(selector).matches(WEB_FRONT));
    }

    @Test
    void givenEqualsAndDoubleEquals_whenParsed_thenTheyAreTheSameRequirementInCanonicalForm() {
        Selector single = Selector.parseLabels("tier=front,app=web");
        Selector doubled = Selector.parseLabels("app == web, tier==front");

        assertEquals(single, doubled);
        assertEquals("app=web,tier=front", doubled.toString());
        assertEquals(List.of(new Requirement("app", Operator.EQUALS, List.of("web")),
                new Requirement("tier", Operator.EQUALS, List.of("front"))), doubled.requirements());
    }

    @Test
    void givenKubeProxysServiceSelector_whenParsed_thenPrefixedKeysAndNegationsWork() {
        Selector selector = Selector.parseLabels("!service.kubernetes.io/headless,!service.kubernetes.io/service-proxy-name");

        assertTrue(selector.matches(Map.of("app", "dns")));
        assertFalse(selector.matches(Map.of("service.kubernetes.io/headless", "")));
        assertEquals(selector, Selector.parseLabels(selector.toString()));
    }

    @Test
    void givenSetSelectors_whenPrinted_thenCanonicalFormParsesBackToAnEqualSelector() {
        Selector selector = Selector.parseLabels("tier notin (back,  db), app in (web,api,web), env, !canary, x=");

        assertEquals("app in (api,web),!canary,env,tier notin (back,db),x=", selector.toString());
        assertEquals(selector, Selector.parseLabels(selector.toString()));
        assertTrue(selector.matches(Map.of("app", "api", "env", "prod", "x", "")));
    }

    @ParameterizedTest
    @NullSource
    @ValueSource(strings = {"", "   "})
    void givenNoSelector_whenParsed_thenItIsEverythingAndMatchesAnything(String text) {
        assertTrue(Selector.parseLabels(text).isEverything());
        assertTrue(Selector.parseFields(text).isEverything());
        assertTrue(Selector.parseLabels(text).matches(Map.of()));
        assertEquals("", Selector.parseFields(text).toString());
    }

    @ParameterizedTest(name = "[{index}] \"{0}\" -> {1}")
    @CsvSource(delimiter = '|', value = {
        "app in (web                | expected ',' or ')' in the set of values at character 12, found the end of the selector",
        "app in ()                  | the set of values of 'in' and 'notin' must not be empty at character 9, found ')'",
        "app in web                 | expected '(' to start the set of values at character 8, found 'web'",
        "!                          | expected a label key at character 2, found the end of the selector",
        "app=web,                   | expected a label key at character 9, found the end of the selector",
        "app=web tier=front         | expected ',' or the end of the selector at character 9, found 'tier'",
        "app>1                      | operator '>' is not supported",
        "app=we b                   | expected ',' or the end of the selector at character 8, found 'b'",
        "app=web!                   | expected ',' or the end of the selector at character 8, found '!'",
        "Bad_Prefix/app=web         | invalid label key 'Bad_Prefix/app': the prefix must be a DNS subdomain",
        "-app=web                   | invalid label key '-app': the name must be 1-63 letters",
        "app=-web                   | invalid label value '-web': a value must be at most 63 letters",
        "app like web               | expected an operator (=, ==, !=, in, notin) after key 'app' at character 5, found 'like'",
        "!app=web                   | expected ',' or the end of the selector at character 5, found '='",
    })
    void givenBadLabelSyntax_whenParsed_thenTheMessageNamesTheSelectorPositionAndProblem(String text, String problem) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Selector.parseLabels(text));

        assertTrue(e.getMessage().startsWith("Invalid label selector \"" + text + "\": "), e.getMessage());
        assertTrue(e.getMessage().contains(problem), e.getMessage());
    }

    @Test
    void givenFieldSelectorsNodeComponentsSend_whenParsed_thenEqualityAndInequalityRequirements() {
        Selector selector = Selector.parseFields("spec.nodeName=node-1,status.phase!=Succeeded,metadata.namespace==kube-system");

        assertEquals(List.of(new Requirement("metadata.namespace", Operator.EQUALS, List.of("kube-system")),
                new Requirement("spec.nodeName", Operator.EQUALS, List.of("node-1")),
                new Requirement("status.phase", Operator.NOT_EQUALS, List.of("Succeeded"))), selector.requirements());
        assertEquals("metadata.namespace=kube-system,spec.nodeName=node-1,status.phase!=Succeeded", selector.toString());
    }

    @Test
    void givenEscapedCharactersInAFieldValue_whenParsed_thenTheyAreUnescapedAndTheCanonicalFormEscapesThemAgain() {
        Selector selector = Selector.parseFields("metadata.name=a\\,b\\=c\\\\d");

        assertEquals("a,b=c\\d", selector.requirements().get(0).values().get(0));
        assertEquals(selector, Selector.parseFields(selector.toString()));
    }

    @Test
    void givenEmptyFieldValue_whenParsed_thenItSelectsTheEmptyValue() {
        Selector unscheduled = Selector.parseFields("spec.nodeName=");

        assertTrue(unscheduled.matches(field -> ""));
        assertFalse(unscheduled.matches(field -> "node-1"));
    }

    @ParameterizedTest(name = "[{index}] \"{0}\" -> {1}")
    @CsvSource(delimiter = '|', value = {
        "spec.nodeName                   | requirement 'spec.nodeName' has no operator (expected =, == or !=)",
        "spec.nodeName=node-1,           | empty requirement (a leading, trailing or doubled ',')",
        "=node-1                         | missing field name before '='",
        "spec.schedulerName=default      | field 'spec.schedulerName' is not supported; the offline cache selects on metadata.name, metadata.namespace, spec.nodeName, status.phase",
        "metadata.name=a=b               | unescaped '=' in value 'a=b'",
        "metadata.name=a\\x              | invalid escape sequence '\\x' in value 'a\\x'",
        "metadata.name in (a)            | requirement 'metadata.name in (a)' has no operator",
    })
    void givenBadFieldSelector_whenParsed_thenTheMessageNamesTheSelectorAndTheProblem(String text, String problem) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Selector.parseFields(text));

        assertTrue(e.getMessage().startsWith("Invalid field selector \"" + text + "\": "), e.getMessage());
        assertTrue(e.getMessage().contains(problem), e.getMessage());
    }

    @Test
    void givenANarrowerSelector_whenComparedWithAWiderOne_thenItIncludesAllOfTheWiderOnesRequirements() {
        Selector wide = Selector.parseFields("spec.nodeName=node-1");
        Selector narrow = Selector.parseFields("status.phase!=Failed,spec.nodeName=node-1");

        assertTrue(narrow.includesAllOf(wide));
        assertTrue(narrow.includesAllOf(Selector.everything()));
        assertFalse(wide.includesAllOf(narrow));
        assertFalse(Selector.everything().includesAllOf(wide));
    }
}
