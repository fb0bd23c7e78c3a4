package io.workqueue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {

  @Nested
  @DisplayName("delays")
  class Delays {
    @Test
    @DisplayName("double from the initial delay after each failed delivery, up to the cap")
    void exponential() {
      RetryPolicy p =
          RetryPolicy.exponential(Duration.ofMillis(100), Duration.ofMillis(1000)).withJitter(0);
      assertThat(p.delayAfter(1, 0.5)).isEqualTo(Duration.ofMillis(100));
      assertThat(p.delayAfter(2, 0.5)).isEqualTo(Duration.ofMillis(200));
      assertThat(p.delayAfter(3, 0.5)).isEqualTo(Duration.ofMillis(400));
      assertThat(p.delayAfter(4, 0.5)).isEqualTo(Duration.ofMillis(800));
      assertThat(p.delayAfter(5, 0.5)).isEqualTo(Duration.ofMillis(1000));
      assertThat(p.delayAfter(1_000_000, 0.5)).isEqualTo(Duration.ofMillis(1000));
      assertThat(p.delayAfter(0, 0.5)).isEqualTo(Duration.ofMillis(100));
    }

    @Test
    @DisplayName("grow by the multiplier")
    void multiplier() {
      RetryPolicy p =
          RetryPolicy.exponential(Duration.ofMillis(10), Duration.ofSeconds(10))
              .withMultiplier(3)
              .withJitter(0);
      assertThat(p.delayAfter(3, 0)).isEqualTo(Duration.ofMillis(90));
    }

    @Test
    @DisplayName("are shortened by at most the jitter fraction")
    void jitter() {
      RetryPolicy p =
          RetryPolicy.exponential(Duration.ofMillis(1000), Duration.ofMillis(1000))
              .withJitter(0.25);
      assertThat(p.delayAfter(1, 0.0)).isEqualTo(Duration.ofMillis(1000));
      assertThat(p.delayAfter(1, 1.0)).isEqualTo(Duration.ofMillis(750));
      assertThat(p.delayAfter(1, 0.5)).isEqualTo(Duration.ofMillis(875));
      for (int i = 0; i < 1000; i++) {
        assertThat(p.delayAfter(1)).isBetween(Duration.ofMillis(750), Duration.ofMillis(1000));
      }
    }

    @Test
    @DisplayName("the default retries any exception, starting at 1 s with 20% jitter")
    void defaults() {
      RetryPolicy p = RetryPolicy.DEFAULT;
      assertThat(p.retries(new RuntimeException())).isTrue();
      assertThat(p.initialDelay()).isEqualTo(Duration.ofSeconds(1));
      assertThat(p.maxDelay()).isEqualTo(Duration.ofMinutes(5));
      assertThat(p.multiplier()).isEqualTo(2.0);
      assertThat(p.jitter()).isEqualTo(0.2);
    }

    @Test
    @DisplayName("fixed: the same delay every time")
    void fixed() {
      RetryPolicy p = RetryPolicy.fixed(Duration.ofMillis(300));
      assertThat(p.delayAfter(1)).isEqualTo(Duration.ofMillis(300));
      assertThat(p.delayAfter(7)).isEqualTo(Duration.ofMillis(300));
    }
  }

  @Nested
  @DisplayName("which failures are retried")
  class Which {
    @Test
    @DisplayName("none() retries nothing")
    void none() {
      assertThat(RetryPolicy.none().retries(new RuntimeException())).isFalse();
    }

    @Test
    @DisplayName("retryIf() retries only what the predicate accepts")
    void retryIf() {
      RetryPolicy p = RetryPolicy.DEFAULT.retryIf(t -> t instanceof java.io.IOException);
      assertThat(p.retries(new java.io.IOException("x"))).isTrue();
      assertThat(p.retries(new IllegalStateException("x"))).isFalse();
    }
  }

  @Nested
  @DisplayName("bad input")
  class BadInput {
    @Test
    @DisplayName("is refused with the argument named")
    void refused() {
      assertThatThrownBy(() -> RetryPolicy.exponential(null, Duration.ofSeconds(1)))
          .isInstanceOf(InvalidArgumentException.class)
          .extracting(e -> ((InvalidArgumentException) e).argument())
          .isEqualTo("initialDelay");
      assertThatThrownBy(
              () -> RetryPolicy.exponential(Duration.ofSeconds(2), Duration.ofSeconds(1)))
          .isInstanceOf(InvalidArgumentException.class)
          .hasMessageContaining("maxDelay");
      assertThatThrownBy(() -> RetryPolicy.fixed(Duration.ofMillis(-1)))
          .isInstanceOf(InvalidArgumentException.class)
          .hasMessageContaining("delay");
      assertThatThrownBy(() -> RetryPolicy.fixed(Duration.ofDays(400)))
          .isInstanceOf(InvalidArgumentException.class);
      assertThatThrownBy(() -> RetryPolicy.DEFAULT.withJitter(1.5))
          .isInstanceOf(InvalidArgumentException.class)
          .hasMessageContaining("jitter");
      assertThatThrownBy(() -> RetryPolicy.DEFAULT.withJitter(Double.NaN))
          .isInstanceOf(InvalidArgumentException.class);
      assertThatThrownBy(() -> RetryPolicy.DEFAULT.withMultiplier(0.5))
          .isInstanceOf(InvalidArgumentException.class)
          .hasMessageContaining("multiplier");
      assertThatThrownBy(() -> RetryPolicy.DEFAULT.retryIf(null))
          .isInstanceOf(InvalidArgumentException.class)
          .hasMessageContaining("retryable");
      assertThatThrownBy(() -> RetryPolicy.DEFAULT.delayAfter(1, 2.0))
          .isInstanceOf(InvalidArgumentException.class)
          .hasMessageContaining("random");
    }
  }
}
