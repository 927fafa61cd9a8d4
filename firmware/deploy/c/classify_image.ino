// Moteforge example: classify a static test frame and print the class over Serial. The board has no
// camera: test_frame.h holds one of the project's test images as the impulse takes it, an RGB888 frame
// already resized to MF_IMPULSE_IMAGE_WIDTH x MF_IMPULSE_IMAGE_HEIGHT. With a camera, fill a buffer of
// MF_IMPULSE_IMAGE_BYTES the same way (crop/resize to that size, 3 bytes a pixel) and pass it instead.
#include "mf_impulse.h"
#include "test_frame.h"

void setup() {
  Serial.begin(115200);
  while (!Serial) {
  }
}

void loop() {
  float scores[MF_IMPULSE_CLASSES];
  unsigned long start = micros();
  int status = mf_impulse_classify_image(test_frame, scores);
  unsigned long took = micros() - start;
  if (status != 0) {
    Serial.print("impulse error ");
    Serial.println(status);
  } else {
    int best = mf_impulse_argmax(scores);
    Serial.print(mf_impulse_class_names[best]);
    Serial.print(" ");
    Serial.print(scores[best], 3);
    Serial.print(" (");
    Serial.print(took / 1000.0, 1);
    Serial.println(" ms)");
  }
  delay(2000);
}
