"""What every web page needs, whichever app it belongs to."""
