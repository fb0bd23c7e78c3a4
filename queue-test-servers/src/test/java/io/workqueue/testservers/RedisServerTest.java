package io.workqueue.testservers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class RedisServerTest {

  @Test
  void sharedServerIsStartedOnceAndAnswersPing() throws Exception {
    RedisServer redis = RedisServer.shared();

    assertThat(RedisServer.shared()).isSameAs(redis);
    assertThat(redis.host()).isEqualTo("127.0.0.1");
    assertThat(redis.port()).isNotEqualTo(6379);
    assertThat(redis.ping()).isTrue();
    assertThat(Resp.command(redis.host(), redis.port(), "PING")).isEqualTo("+PONG");
    assertThat(Resp.command(redis.host(), redis.port(), "CONFIG", "GET", "appendonly")).isNotNull();
    assertThat(redis.dataDir()).startsWith(ServerProcesses.serversDir());
    assertThat(Files.readString(redis.dataDir().resolve(ServerProcesses.PID_FILE)))
        .startsWith(redis.pid() + " " + ProcessHandle.current().pid());

    redis.close(); // no-op on the shared server
    assertThat(redis.ping()).isTrue();
  }

  @Test
  void aofSurvivesKill9AndRestart() throws Exception {
    try (RedisServer redis =
        RedisServer.start(RedisServer.Options.defaults().appendfsync("always"))) {
      int port = redis.port();
      assertThat(Resp.command(redis.host(), port, "SET", "wq:key", "value-1")).isEqualTo("+OK");
      long pid = redis.pid();

      redis.kill9();

      assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
      assertThat(redis.isRunning()).isFalse();
      assertThat(redis.ping()).isFalse();

      redis.restart();

      assertThat(redis.port()).isEqualTo(port);
      assertThat(redis.pid()).isNotEqualTo(pid);
      assertThat(Resp.command(redis.host(), port, "GET", "wq:key")).isEqualTo("value-1");
      assertThat(Resp.command(redis.host(), port, "CONFIG", "GET", "appendfsync")).isNotNull();
    }
  }

  @Test
  void closeStopsAPrivateServer() {
    RedisServer redis = RedisServer.start();
    long pid = redis.pid();
    redis.close();
    assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
    assertThat(redis.ping()).isFalse();
    assertThatThrownBy(redis::restart).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void embeddedRedisBinaryWorksAsFallback() throws Exception {
    Path binary = RedisServer.embeddedExecutable();
    assertThat(binary).isExecutable().startsWith(ServerProcesses.serversDir());
    try (RedisServer redis = RedisServer.start(RedisServer.Options.defaults().executable(binary))) {
      assertThat(redis.ping()).isTrue();
      assertThat(Resp.command(redis.host(), redis.port(), "SET", "k", "v")).isEqualTo("+OK");
      redis.kill9();
      redis.restart();
      assertThat(Resp.command(redis.host(), redis.port(), "GET", "k")).isEqualTo("v");
    }
  }

  @Test
  void externalHandleRefusesProcessControl() {
    RedisServer external = RedisServer.external("127.0.0.1", 1);

    assertThat(external.isExternal()).isTrue();
    assertThat(external.uri()).isEqualTo("redis://127.0.0.1:1");
    assertThatThrownBy(external::kill9)
        .isInstanceOf(UnsupportedOperationException.class)
        .hasMessageContaining("external Redis 127.0.0.1:1")
        .hasMessageContaining("WORKQUEUE_REDIS");
    assertThatThrownBy(external::restart).isInstanceOf(UnsupportedOperationException.class);
    external.close();
  }

  @Test
  void parsesHostPort() {
    InetSocketAddress a = ServerProcesses.parseHostPort(" redis.local:6380 ", "X");
    assertThat(a.getHostString()).isEqualTo("redis.local");
    assertThat(a.getPort()).isEqualTo(6380);
    assertThat(ServerProcesses.parseHostPort("[::1]:7000", "X").getHostString()).isEqualTo("::1");
    assertThatThrownBy(() -> ServerProcesses.parseHostPort("nohost", "WORKQUEUE_REDIS"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("WORKQUEUE_REDIS must be host:port");
  }

  @Test
  void rejectsUnknownAppendfsync() {
    assertThatThrownBy(() -> RedisServer.Options.defaults().appendfsync("sometimes"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
