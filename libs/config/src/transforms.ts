import { Transform } from 'class-transformer';

/** '3000' → 3000; anything that is not a plain integer stays as given so validation names it. */
export const ToInt = () =>
  Transform(({ value }) => (typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value));

/** 'true'/'1'/'yes' → true, 'false'/'0'/'no' → false; anything else fails validation. */
export const ToBool = () =>
  Transform(({ value }) => {
    if (typeof value !== 'string') return value;
    const v = value.trim().toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(v)) return true;
    if (['false', '0', 'no', 'off'].includes(v)) return false;
    return value;
  });
