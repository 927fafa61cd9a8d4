// Moteforge example: classify sound from the Arduino Nano 33 BLE Sense's PDM microphone and print the result
// over Serial. The microphone runs at the impulse's rate (MF_IMPULSE_FREQUENCY_HZ, 16000 Hz on this board
// by default); samples are scaled to [-1, 1) like 16-bit WAV files in the studio.
#include <PDM.h>

#include "mf_impulse.h"

// Only a regression's header defines it.
#ifndef MF_IMPULSE_REGRESSION
#define MF_IMPULSE_REGRESSION 0
#endif

// One line per window: the class and its score; an anomaly block's score and "normal" or "anomaly"
// against its threshold; or a regression's predicted value.
static void print_result(const float *scores) {
#if MF_IMPULSE_ANOMALY
  Serial.print("anomaly score ");
  Serial.print(scores[0], 5);
  Serial.println(scores[0] > MF_IMPULSE_ANOMALY_THRESHOLD ? " anomaly" : " normal");
#elif MF_IMPULSE_REGRESSION
  Serial.print("value ");
  Serial.println(scores[0], 5);
#else
  int best = mf_impulse_argmax(scores);
  Serial.print(mf_impulse_class_names[best]);
  Serial.print(" ");
  Serial.println(scores[best], 3);
#endif
}

// The interrupt appends samples to a ring holding one window and one stride more, so the microphone keeps
// recording while loop() classifies a window (the studio's windows of a recording have no gaps). Sample n of
// the stream sits at ring[n % RING_SAMPLES]; `received` counts samples in, `next_window` is the first sample
// of the window to classify next.
#define RING_SAMPLES (MF_IMPULSE_WINDOW_FRAMES + MF_IMPULSE_STRIDE_FRAMES)
static short ring[RING_SAMPLES];
static volatile unsigned long received = 0;
static volatile unsigned long next_window = 0;
static volatile unsigned long dropped = 0;  // samples lost because loop() fell behind
static int write_at = 0;                    // received % RING_SAMPLES, kept without a division
static int read_at = 0;                     // next_window % RING_SAMPLES
static float window[MF_IMPULSE_WINDOW_FRAMES];
static short pdm_buffer[512];

// Called from the PDM interrupt with a block of new samples.
static void on_pdm_data() {
  int bytes = PDM.available();
  if (bytes > (int)sizeof(pdm_buffer)) {
    bytes = sizeof(pdm_buffer);
  }
  PDM.read(pdm_buffer, bytes);
  int count = bytes / 2;
  for (int i = 0; i < count; ++i) {
    long ahead = (long)(received - next_window);
    if (ahead >= RING_SAMPLES) {
      dropped += count - i;  // the ring is full: classification is slower than real time
      return;
    }
    if (ahead >= 0) {  // samples between windows (a stride longer than the window) are skipped
      ring[write_at] = pdm_buffer[i];
    }
    received = received + 1;
    if (++write_at == RING_SAMPLES) {
      write_at = 0;
    }
  }
}

void setup() {
  Serial.begin(115200);
  while (!Serial) {
  }
  PDM.onReceive(on_pdm_data);
  if (!PDM.begin(1, (int)MF_IMPULSE_FREQUENCY_HZ)) {
    Serial.print("PDM microphone does not start at ");
    Serial.print((int)MF_IMPULSE_FREQUENCY_HZ);
    Serial.println(" Hz");
    while (1) {
    }
  }
}

void loop() {
  if ((long)(received - next_window) < MF_IMPULSE_WINDOW_FRAMES) {
    return;
  }
  // The interrupt writes only past the window, so the copy needs no pause in recording.
  int at = read_at;
  for (int i = 0; i < MF_IMPULSE_WINDOW_FRAMES; ++i) {
    window[i] = ring[at] / 32768.0f;
    if (++at == RING_SAMPLES) {
      at = 0;
    }
  }
  read_at = (read_at + MF_IMPULSE_STRIDE_FRAMES) % RING_SAMPLES;
  next_window = next_window + MF_IMPULSE_STRIDE_FRAMES;  // frees the oldest stride for the interrupt
  float scores[MF_IMPULSE_CLASSES];
  if (mf_impulse_run_window(window, scores) == 0) {
    print_result(scores);
  }
  noInterrupts();
  const unsigned long lost = dropped;
  dropped = 0;
  interrupts();
  if (lost > 0) {
    Serial.print("dropped samples: ");
    Serial.println(lost);
  }
}
