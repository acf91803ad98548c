import { applyDecorators } from '@nestjs/common';
import { IsNumber, Max, Min, ValidateBy } from 'class-validator';

/** Temperatures are stored as PostgreSQL `real`; a limit or set point is given to at most 4 decimals. */
export const CELSIUS_DECIMALS = 4;

/** True when a °C value has at most CELSIUS_DECIMALS decimals (1e-186 has not: `real` cannot even hold it). */
export function hasCelsiusPrecision(value: number): boolean {
  return Number.isFinite(value) && Number(value.toFixed(CELSIUS_DECIMALS)) === value;
}

/** A temperature limit or set point in °C: a finite number within [min, max] with at most 4 decimals. */
export function IsCelsius(min: number, max: number): PropertyDecorator {
  return applyDecorators(
    IsNumber({ allowNaN: false, allowInfinity: false }),
    Min(min),
    Max(max),
    ValidateBy({
      name: 'celsiusPrecision',
      validator: {
        validate: (value) => typeof value !== 'number' || hasCelsiusPrecision(value),
        defaultMessage: (args) => `${args?.property} must be given in °C with at most ${CELSIUS_DECIMALS} decimals`,
      },
    }),
  );
}
