import { describe, expect, it } from "bun:test";
import { headerPinToLine, lineToHeaderPin, RPI_HEADER } from "../../../../src/hal/gpio/index.ts";

describe("Raspberry Pi header", () => {
  it("maps physical pins to BCM lines", () => {
    expect(headerPinToLine(11)).toBe(17);
    expect(headerPinToLine(3)).toBe(2);
    expect(headerPinToLine(40)).toBe(21);
    expect(headerPinToLine(27)).toBe(0);
  });

  it("has 40 pins carrying BCM lines 0-27 once each", () => {
    expect(Object.keys(RPI_HEADER)).toHaveLength(40);
    const lines = Object.values(RPI_HEADER).filter((v): v is number => typeof v === "number");
    expect([...lines].sort((a, b) => a - b)).toEqual(Array.from({ length: 28 }, (_, i) => i));
  });

  it("maps lines back to pins, and lines off the header to undefined", () => {
    for (let line = 0; line < 28; line++) expect(headerPinToLine(lineToHeaderPin(line) as number)).toBe(line);
    expect(lineToHeaderPin(28)).toBeUndefined();
  });

  it("refuses power, ground and missing pins with GPIO_INVALID_LINE saying what the pin is", () => {
    expect(() => headerPinToLine(6)).toThrow(
      expect.objectContaining({ code: "GPIO_INVALID_LINE", message: "Header pin 6 is GND, not a GPIO" }),
    );
    expect(() => headerPinToLine(1)).toThrow(expect.objectContaining({ code: "GPIO_INVALID_LINE" }));
    expect(() => headerPinToLine(41)).toThrow(expect.objectContaining({ code: "GPIO_INVALID_LINE" }));
    expect(() => headerPinToLine(1.5)).toThrow(expect.objectContaining({ code: "GPIO_INVALID_LINE" }));
  });
});
