package io.outpost.cache.objects;

import static io.outpost.cache.objects.Fixtures.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ObjectJsonTest {

    @Test
    void givenAPodAsTheApiServerSendsIt_whenRead_thenIdentityVersionLabelsAndSelectableFieldsAreExtracted() {
        ObjectFacts facts = ObjectJson.read(Fixtures.pod("default", "web-0").on("node-7").phase("Pending").rv("4711")
                .labels("app", "web", "app.kubernetes.io/part-of", "shop").json());

        assertEquals(new ObjectFacts("default", "web-0", "4711", Map.of("app", "web", "app.kubernetes.io/part-of", "shop"),
                "node-7", "Pending"), facts);
        assertEquals("node-7", facts.field("spec.nodeName"));
        assertEquals("default", facts.field("metadata.namespace"));
    }

    @Test
    void givenAClusterScopedObjectWithoutSpecOrStatus_whenRead_thenMissingFieldsReadAsEmpty() {
        ObjectFacts facts = ObjectJson.read(bytes("{\"kind\":\"Namespace\",\"metadata\":{\"name\":\"prod\",\"labels\":null}}"));

        assertEquals(new ObjectFacts("", "prod", "", Map.of(), "", ""), facts);
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', value = {
        "[1,2]                                                  | it is not a JSON object",
        "{\"metadata\":{\"namespace\":\"a\"}}                   | it has no metadata.name",
        "{\"metadata\":{\"name\":\"a\"}                         | it is not valid JSON",
        "{\"metadata\":{\"name\":\"a\"}} {}                     | there is content after the object",
        "{\"metadata\":{\"name\":7}}                            | metadata.name is not a string",
        "{\"metadata\":{\"name\":\"a\",\"labels\":{\"x\":1}}}   | metadata.labels.x is not a string",
        "{\"metadata\":\"a\"}                                   | metadata is not an object",
        "{\"metadata\":{\"name\":\"a\"},\"spec\":[]}            | spec is not an object",
        "not json                                               | it is not valid JSON",
    })
    void givenSomethingThatIsNotAKubernetesObject_whenRead_thenItIsRefusedWithTheReason(String json, String problem) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ObjectJson.read(bytes(json)));

        assertTrue(e.getMessage().startsWith("Not a Kubernetes object: " + problem), e.getMessage());
    }
}
