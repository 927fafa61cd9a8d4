// Moteforge example: classify motion read from the Arduino Nano 33 BLE Sense's LSM9DS1 IMU and print the
// result over Serial. Axes are taken in the order acceleration X Y Z (g), gyroscope X Y Z (dps), magnetic
// field X Y Z (uT): the first MF_IMPULSE_AXES of them feed the impulse, so record training data the same way.
#include <Arduino_LSM9DS1.h>

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

static float frames[MF_IMPULSE_WINDOW_FRAMES * MF_IMPULSE_AXES];
static int filled = 0;
static unsigned long next_us = 0;
static const unsigned long PERIOD_US = (unsigned long)(1000000.0 / MF_IMPULSE_FREQUENCY_HZ);

void setup() {
  Serial.begin(115200);
  while (!Serial) {
  }
  if (!IMU.begin()) {
    Serial.println("IMU not found");
    while (1) {
    }
  }
  next_us = micros();
}

// The magnetometer measures at 20 Hz, more slowly than the accelerometer and gyroscope: frames in between
// repeat its latest reading rather than zeros.
static float magnetic[3] = {0};

static void read_frame(float *out) {
  float v[9] = {0};
  while (!IMU.accelerationAvailable() || !IMU.gyroscopeAvailable()) {
  }
  IMU.readAcceleration(v[0], v[1], v[2]);
  IMU.readGyroscope(v[3], v[4], v[5]);
  if (MF_IMPULSE_AXES > 6 && IMU.magneticFieldAvailable()) {
    IMU.readMagneticField(magnetic[0], magnetic[1], magnetic[2]);
  }
  v[6] = magnetic[0];
  v[7] = magnetic[1];
  v[8] = magnetic[2];
  for (int a = 0; a < MF_IMPULSE_AXES; ++a) {
    out[a] = v[a];
  }
}

void loop() {
  while ((long)(micros() - next_us) < 0) {
  }
  next_us += PERIOD_US;
  read_frame(&frames[filled * MF_IMPULSE_AXES]);
  if (++filled < MF_IMPULSE_WINDOW_FRAMES) {
    return;
  }
  float scores[MF_IMPULSE_CLASSES];
  if (mf_impulse_run_window(frames, scores) == 0) {
    print_result(scores);
  }
  // Slide by the impulse's stride: keep the newest frames, as the studio's windows overlap.
  const int keep = MF_IMPULSE_WINDOW_FRAMES - MF_IMPULSE_STRIDE_FRAMES;
  if (keep > 0) {
    memmove(frames, &frames[MF_IMPULSE_STRIDE_FRAMES * MF_IMPULSE_AXES], sizeof(float) * keep * MF_IMPULSE_AXES);
  }
  filled = keep > 0 ? keep : 0;
}
