"""The brute-force bench's extrapolation of the authenticator code guesses a day."""

import math

from bench.bruteforce import throttle_codes_per_day


def test_the_throttle_lets_through_the_codes_whose_waits_fit_in_a_day():
    # django-otp: no wait before the first code, then 1, 2, 4 ... seconds: the n-th code comes
    # 2^(n-1) - 1 seconds after the first.
    assert throttle_codes_per_day(1) == math.floor(math.log2(86400 + 1)) + 1 == 17
    assert throttle_codes_per_day(60) == math.floor(math.log2(86400 / 60 + 1)) + 1
    assert throttle_codes_per_day(0) > 10**5  # no throttle: only the daily cap holds
