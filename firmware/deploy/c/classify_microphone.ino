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

static float window[MF_IMPULSE_WINDOW_FRAMES];
static volatile int filled = 0;
static short pdm_buffer[512];

// Called from the PDM interrupt: append the new samples while there is room in the window.
static void on_pdm_data() {
  int bytes = PDM.available();
  PDM.read(pdm_buffer, bytes);
  int count = bytes / 2;
  for (int i = 0; i < count && filled < MF_IMPULSE_WINDOW_FRAMES; ++i) {
    window[filled++] = pdm_buffer[i] / 32768.0f;
  }
}

void setup() {
  Serial.begin(115200);
  while (!Serial) {
  }
  PDM.onReceive(on_pdm_data);
  if (!PDM.begin(1, (int)MF_IMPULSE_FREQUENCY_HZ)) {
    Serial.println("PDM microphone not found");
    while (1) {
    }
  }
}

void loop() {
  if (filled < MF_IMPULSE_WINDOW_FRAMES) {
    return;
  }
  float scores[MF_IMPULSE_CLASSES];
  if (mf_impulse_run_window(window, scores) == 0) {
    print_result(scores);
  }
  // Slide by the impulse's stride; the interrupt is paused while the kept samples move.
  const int keep = MF_IMPULSE_WINDOW_FRAMES - MF_IMPULSE_STRIDE_FRAMES;
  noInterrupts();
  if (keep > 0) {
    memmove(window, &window[MF_IMPULSE_STRIDE_FRAMES], sizeof(float) * keep);
  }
  filled = keep > 0 ? keep : 0;
  interrupts();
}
