package io.outpost.tunnel.server;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import com.google.protobuf.UnknownFieldSet;
import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import java.io.InputStream;
import java.util.Optional;

/**
 * Lets the service see a message that does not parse, instead of grpc-java failing the call with
 * "UNKNOWN: Application error processing RPC" and a SEVERE log line per bad frame. A message that
 * fails to parse arrives as the type's empty message carrying the parser's complaint in a reserved
 * unknown field; the handlers answer INVALID_ARGUMENT naming the sender and count it.
 */
final class MalformedMessages {

  /** Far above any field number the protocol uses. */
  private static final int REASON_FIELD = 536_870_000;

  private MalformedMessages() {}

  /** The parser's complaint if {@code message} stands for bytes that did not parse. */
  static Optional<String> reason(Message message) {
    UnknownFieldSet.Field field = message.getUnknownFields().getField(REASON_FIELD);
    return field.getLengthDelimitedList().isEmpty()
        ? Optional.empty() : Optional.of(field.getLengthDelimitedList().get(0).toStringUtf8());
  }

  /** {@code definition} with every request marshaller made tolerant. */
  static ServerServiceDefinition tolerant(ServerServiceDefinition definition) {
    ServerServiceDefinition.Builder builder =
        ServerServiceDefinition.builder(definition.getServiceDescriptor().getName());
    for (ServerMethodDefinition<?, ?> method : definition.getMethods()) {
      add(builder, method);
    }
    return builder.build();
  }

  private static <Q, R> void add(ServerServiceDefinition.Builder builder, ServerMethodDefinition<Q, R> method) {
    MethodDescriptor<Q, R> descriptor = method.getMethodDescriptor();
    builder.addMethod(descriptor.toBuilder()
        .setRequestMarshaller(new Tolerant<>(descriptor.getRequestMarshaller()))
        .build(), method.getServerCallHandler());
  }

  private static final class Tolerant<T> implements MethodDescriptor.Marshaller<T> {
    private final MethodDescriptor.Marshaller<T> delegate;

    Tolerant(MethodDescriptor.Marshaller<T> delegate) {
      this.delegate = delegate;
    }

    @Override
    public InputStream stream(T value) {
      return delegate.stream(value);
    }

    @Override
    @SuppressWarnings("unchecked")
    public T parse(InputStream stream) {
      try {
        return delegate.parse(stream);
      } catch (RuntimeException e) {
        if (!(delegate instanceof MethodDescriptor.PrototypeMarshaller<T> prototypes)
            || !(prototypes.getMessagePrototype() instanceof Message prototype)) {
          throw e;
        }
        Throwable cause = e.getCause() != null ? e.getCause() : e;
        String why = Status.fromThrowable(e).getDescription() + ": " + cause.getMessage();
        return (T) prototype.toBuilder().setUnknownFields(UnknownFieldSet.newBuilder()
            .addField(REASON_FIELD, UnknownFieldSet.Field.newBuilder()
                .addLengthDelimited(ByteString.copyFromUtf8(why)).build())
            .build()).build();
      }
    }
  }
}
