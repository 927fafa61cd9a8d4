// The Arduino_LSM9DS1 library's IMU object (Nano 33 BLE Sense), replaying a recording instead of reading the
// sensor. The recording is the file imu.bin, read over semihosting at begin(): little-endian float32 rows of
// nine values, acceleration X Y Z (g), angular rate X Y Z (dps), magnetic field X Y Z (uT). Each read takes
// the sensor's values from its next row; asking for data after the last row ends the program (exit 0).
#ifndef MF_ARDUINO_HOST_LSM9DS1_H
#define MF_ARDUINO_HOST_LSM9DS1_H

class LSM9DS1Class {
public:
    int begin();
    int accelerationAvailable();
    int readAcceleration(float &x, float &y, float &z);
    int gyroscopeAvailable();
    int readGyroscope(float &x, float &y, float &z);
    int magneticFieldAvailable();
    int readMagneticField(float &x, float &y, float &z);
};

extern LSM9DS1Class IMU;

#endif
