package io.outpost.agent.nodeproxy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * A watch line read by the streaming parser: the object is kept byte for byte as the apiserver sent
 * it (nested fields and odd spacing included), its identity comes from its metadata wherever the
 * fields stand, and a line that is not an object is an error the recorder logs.
 */
class WatchEventTest {

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void givenAModifiedEvent_whenParsed_thenTheObjectBytesAndIdentityAreTheApiserversOwn() throws IOException {
    String object = "{\"metadata\" : {\"labels\":{\"name\":\"not-this\"},\"name\":\"web-1\",\"namespace\":\"shop\","
        + "\"resourceVersion\":\"42\"},\"kind\":\"Pod\",\"spec\":{\"nodeName\":\"n1\",\"containers\":[{\"name\":\"c\"}]}}";
    Recorder.WatchEvent event = Recorder.WatchEvent.parse(bytes("{\"type\":\"MODIFIED\",\"object\":" + object + "}"));

    assertEquals("MODIFIED", event.type());
    assertEquals("Pod", event.kind());
    assertEquals("shop", event.namespace());
    assertEquals("web-1", event.name());
    assertEquals("42", event.resourceVersion());
    assertArrayEquals(bytes(object), event.object());
  }

  @Test
  void givenTheObjectBeforeTheTypeAndAClusterScopedObject_whenParsed_thenTheNamespaceIsEmpty() throws IOException {
    Recorder.WatchEvent event = Recorder.WatchEvent.parse(bytes(
        "{\"object\":{\"kind\":\"Node\",\"metadata\":{\"name\":\"n1\",\"resourceVersion\":\"7\"}},\"type\":\"DELETED\"}"));

    assertEquals("DELETED", event.type());
    assertEquals("", event.namespace());
    assertEquals("n1", event.name());
  }

  @Test
  void givenABookmarkWithoutKindOrAnErrorWithoutObject_whenParsed_thenTheMissingPartsAreAbsent() throws IOException {
    Recorder.WatchEvent bookmark = Recorder.WatchEvent.parse(bytes(
        "{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":{\"resourceVersion\":\"9\"}}}"));
    assertNull(bookmark.kind());
    assertEquals("9", bookmark.resourceVersion());

    Recorder.WatchEvent error = Recorder.WatchEvent.parse(bytes("{\"type\":\"ERROR\"}"));
    assertEquals(0, error.object().length);
    assertNull(error.resourceVersion());
  }

  @Test
  void givenALineThatIsNotAnObject_whenParsed_thenItIsAnError() {
    IOException e = assertThrows(IOException.class, () -> Recorder.WatchEvent.parse(bytes("[1,2]")));
    assertEquals("a watch event is not a JSON object", e.getMessage());
  }
}
