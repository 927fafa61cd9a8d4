// The part of the Arduino core API that Moteforge's example sketches use, implemented for running them on
// QEMU's mps2-an386 (Cortex-M4F) in tests: Serial writes over semihosting, time comes from SysTick,
// interrupts are masked with PRIMASK. The sketches' main() (setup, then loop forever) is in arduino_host.cpp.
#ifndef MF_ARDUINO_HOST_ARDUINO_H
#define MF_ARDUINO_HOST_ARDUINO_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

unsigned long millis();
unsigned long micros();
void delay(unsigned long ms);

inline void noInterrupts() { __asm__ volatile("cpsid i" ::: "memory"); }
inline void interrupts() { __asm__ volatile("cpsie i" ::: "memory"); }

// Print's formatting: integers in decimal, floats with a given number of decimals (2 by default).
class HostSerial {
public:
    void begin(unsigned long baud);
    operator bool() const { return true; }  // the USB serial port is always open here
    size_t print(const char *text);
    size_t print(char c);
    size_t print(int value);
    size_t print(long value);
    size_t print(unsigned long value);
    size_t print(double value, int digits = 2);
    size_t println();
    size_t println(const char *text);
    size_t println(char c);
    size_t println(int value);
    size_t println(long value);
    size_t println(unsigned long value);
    size_t println(double value, int digits = 2);
};

extern HostSerial Serial;

void setup();
void loop();

#endif
