"""The best-practice library (Resolution 88): cases submitted by Member States and pledgers, reviewed and
published by the secretariat."""
